/**
 * Test helpers for the dashboard over real HTTP: a server with the dashboard and `/ops/` on a
 * free port (on the database bfDb holds), and a client that keeps cookies like a browser and
 * reads the CSRF token out of the pages it gets.
 *
 * @example
 * ```ts
 * await using server = await startDashboardServer({ hosts: [] });
 * const browser = new DashboardClient(server.url);
 * const page = await browser.get("/dashboard/jobs?status=failed");
 * await browser.post("/dashboard/actions/retry", { id, confirmed: "1" });
 * ```
 *
 * @module
 */
import { KNOWN_JOB_TYPES } from "../handlers/knownJobTypes.ts";
import { localOperatorCommands } from "../ops/operatorCommands.ts";
import type { OperatorAccess } from "../web/operatorAccess.ts";
import { serveWeb, webRoutes } from "../web/webRoutes.ts";
import { capturingLogger } from "./capturingLogger.ts";
import type { LogLine } from "./workerProcess.ts";

/** A dashboard server for one test. */
export interface DashboardServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** What it logged (refusals, actions, audit lines). */
  logs: LogLine[];
}

/** Serves the dashboard and the operator routes under `access` on a free port. */
export async function startDashboardServer(
  access: OperatorAccess,
): Promise<DashboardServer> {
  const { logger, logs } = capturingLogger();
  const operator = localOperatorCommands(KNOWN_JOB_TYPES);
  const app = await webRoutes({
    operator,
    dashboard: operator,
    access,
    logger,
  });
  const server = await serveWeb(app, 0, logger);
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port,
    logs,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** An answer: status, headers and the body read as text. */
export interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** An HTTP client that keeps cookies, as a browser would for one site. */
export class DashboardClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string, readonly headers: HeadersInit = {}) {}

  #keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) =>
        /^\s*max-age=0\s*$/i.test(a) || /expires=thu, 01 jan 1970/i.test(a)
      );
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  #cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return {
      cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    };
  }

  /** GET `path` without following redirects. */
  async get(path: string, headers: HeadersInit = {}): Promise<Answer> {
    const response = await fetch(new URL(path, this.base), {
      redirect: "manual",
      headers: { ...this.headers, ...this.#cookieHeader(), ...headers },
    });
    this.#keep(response);
    return {
      status: response.status,
      headers: response.headers,
      body: await response.text(),
    };
  }

  /** POSTs `fields` as an HTML form would (urlencoded), without following redirects. */
  async post(
    path: string,
    fields: Record<string, string>,
    headers: HeadersInit = {},
  ): Promise<Answer> {
    const response = await fetch(new URL(path, this.base), {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...this.headers,
        ...this.#cookieHeader(),
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.#keep(response);
    return {
      status: response.status,
      headers: response.headers,
      body: await response.text(),
    };
  }

  /** The CSRF token of the forms on the page at `path` (it sets the cookie it belongs to). */
  async csrf(path = "/dashboard"): Promise<string> {
    const page = await this.get(path);
    const match = /<meta name="csrf-token" content="([^"]+)"/.exec(page.body);
    if (!match) throw new Error(`no CSRF token on ${path}: ${page.status}`);
    return match[1];
  }
}
