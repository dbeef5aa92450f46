/**
 * Real headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` package
 * (`/usr/bin/chromium`, installed by `.ci/run`) driven by playwright-core, which never
 * downloads a browser of its own. Screenshots go to `screenshots/` at the repository root
 * (git-ignored), for a person to look at.
 *
 * @example
 * ```ts
 * await using chromium = await launchChromium();
 * const page = await chromium.browser.newPage();
 * await page.goto(worker.url("/dashboard"));
 * await chromium.screenshot(page, "overview");
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "./workerProcess.ts";

/** Where the browser is: Debian's package, or CHROMIUM_PATH. */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ??
  "/usr/bin/chromium";

/** Where the end-to-end tests leave their screenshots. */
export const SCREENSHOT_DIR = join(REPO_ROOT, "screenshots");

/** A running browser, closed on dispose. */
export interface RunningChromium extends AsyncDisposable {
  browser: Browser;
  /** Saves a full-page PNG of `page` as `screenshots/<name>.png`; returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
}

/** Launches headless Chromium with the flags this sandbox needs (no sandbox, no network chatter). */
export async function launchChromium(): Promise<RunningChromium> {
  try {
    await Deno.stat(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium), ` +
        "as .ci/run does, or set CHROMIUM_PATH",
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  return {
    browser,
    async screenshot(page, name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    [Symbol.asyncDispose]: () => browser.close(),
  };
}
