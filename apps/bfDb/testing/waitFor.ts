/**
 * Bounded waiting for tests. The deadline only keeps a broken test from hanging: it is generous
 * on purpose, and no assertion depends on how fast anything happens.
 *
 * @example
 * ```ts
 * await waitFor(() => seen.size === 3, "three jobs to run");
 * ```
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";

export { sleep };

/** How long a wait may last before the test fails (60 s unless `BFTEST_WAIT_MS` says otherwise). */
export const DEFAULT_WAIT_MS = Number(Deno.env.get("BFTEST_WAIT_MS") ?? "") ||
  60_000;

/** Options for {@linkcode waitFor}. */
export interface WaitOptions {
  /** Give up after this many ms; default {@linkcode DEFAULT_WAIT_MS}. */
  timeoutMs?: number;
  /** Pause between checks; default 20 ms. */
  intervalMs?: number;
  /** Extra text for the failure message (e.g. the state last seen), computed when it fails. */
  detail?: () => string | Promise<string>;
}

/** Polls `check` until it returns true; throws "gave up waiting for WHAT" after the deadline. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: WaitOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const detail = options.detail ? `; ${await options.detail()}` : "";
      throw new Error(
        `gave up waiting for ${what} after ${timeoutMs} ms${detail}`,
      );
    }
    await sleep(options.intervalMs ?? 20);
  }
}

/** A promise that resolves when `open()` is called: holds test handlers until the test lets go. */
export class Gate {
  #open!: () => void;
  readonly #opened: Promise<void> = new Promise<void>((resolve) =>
    this.#open = resolve
  );
  #isOpen = false;

  /** Whether `open()` was called. */
  get isOpen(): boolean {
    return this.#isOpen;
  }

  /** Lets every waiter through, now and later. */
  open(): void {
    this.#isOpen = true;
    this.#open();
  }

  /** Resolves once the gate is open, or once `signal` fires (so a held request can end). */
  wait(signal?: AbortSignal): Promise<void> {
    if (!signal) return this.#opened;
    return Promise.race([this.#opened, aborted(signal)]);
  }
}

/** Resolves when `signal` fires (at once when it already has); never rejects. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}
