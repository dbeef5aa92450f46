/**
 * A local HTTP server standing in for PostHog's capture API (`POST /i/v0/e/`), for the worker
 * tests and the chaos suite: it records every capture with its `uuid` (the job id unless the
 * event brings its own) and when it arrived, and answers after an adjustable delay, or however a
 * test's responder decides (including holding a request open for as long as it likes).
 *
 * @example
 * ```ts
 * await using posthog = startFakePostHog();
 * const worker = await startWorkerProcess({
 *   databaseUrl,
 *   env: { POSTHOG_HOST: posthog.host, POSTHOG_API_KEY: "test" },
 * });
 * // … later: every uuid captured exactly once
 * assert.deepEqual([...posthog.uuidCounts().values()].filter((n) => n !== 1), []);
 * ```
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";

/** One capture request as the fake saw it. */
export interface Capture {
  /** The event name (`body.event`). */
  event: string;
  /** The deduplication key (`body.uuid`). */
  uuid: string;
  /** The whole JSON body. */
  body: Record<string, unknown>;
  /** Epoch ms when it arrived. */
  at: number;
  /** Fires when the fake closes: an answer the test holds back should end then. */
  signal: AbortSignal;
}

/** Decides the answer to one capture; may wait as long as it likes. */
export type Responder = (capture: Capture) => Response | Promise<Response>;

/** The answer PostHog gives to an accepted capture. */
export const ok: Responder = () => Response.json({ status: 1 });

/** The fake server; see the module doc. */
export class FakePostHog implements AsyncDisposable {
  /** Every capture received, in arrival order. */
  readonly captures: Capture[] = [];
  /** Delay before each answer of the default responder; may be changed while running. */
  delayMs: number;
  /** Requests that were not a capture with a uuid (must stay 0). */
  malformed = 0;
  readonly #counts = new Map<string, number>();
  readonly #open = new Map<string, number>();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #closing = new AbortController();
  readonly #respond: Responder;
  #closed: Promise<void> | undefined;

  constructor(options: { respond?: Responder; delayMs?: number } = {}) {
    this.delayMs = options.delayMs ?? 0;
    this.#respond = options.respond ?? (async (capture) => {
      if (this.delayMs > 0) {
        await sleep(this.delayMs, undefined, { signal: capture.signal })
          .catch(() => {});
      }
      return ok(capture);
    });
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, (request) => this.#handle(request));
  }

  /** Starts the chaos suite's fake: every capture accepted after `delayMs`. */
  static start(options: { delayMs?: number } = {}): Promise<FakePostHog> {
    return Promise.resolve(new FakePostHog(options));
  }

  /** The value for `POSTHOG_HOST`. */
  get host(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** The same as `host`. */
  get url(): string {
    return this.host;
  }

  /** Captures whose answer has not been sent yet. */
  get inFlight(): number {
    let n = 0;
    for (const open of this.#open.values()) n += open;
    return n;
  }

  async #handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method !== "POST" || path !== "/i/v0/e/") {
      this.malformed++;
      return new Response("not found", { status: 404 });
    }
    let body: Record<string, unknown> | undefined;
    try {
      body = await request.json();
    } catch {
      // counted below
    }
    const uuid = body?.uuid;
    if (!body || typeof uuid !== "string" || uuid === "") {
      this.malformed++;
      return Response.json({ error: "no uuid" }, { status: 400 });
    }
    const capture: Capture = {
      event: String(body.event),
      uuid,
      body,
      at: Date.now(),
      signal: this.#closing.signal,
    };
    this.captures.push(capture);
    this.#counts.set(uuid, (this.#counts.get(uuid) ?? 0) + 1);
    this.#open.set(uuid, (this.#open.get(uuid) ?? 0) + 1);
    try {
      return await this.#respond(capture);
    } finally {
      const open = this.#open.get(uuid)! - 1;
      if (open === 0) this.#open.delete(uuid);
      else this.#open.set(uuid, open);
    }
  }

  /** How many times each uuid was captured. */
  uuidCounts(): Map<string, number> {
    return new Map(this.#counts);
  }

  /** How many times `uuid` was received. */
  count(uuid: string): number {
    return this.#counts.get(uuid) ?? 0;
  }

  /** Every distinct uuid received. */
  uuids(): IterableIterator<string> {
    return this.#counts.keys();
  }

  /** Distinct uuids received. */
  get distinct(): number {
    return this.#counts.size;
  }

  /** uuids whose capture has arrived and is not answered yet. */
  openUuids(): string[] {
    return [...this.#open.keys()];
  }

  /** Epoch ms of the first receipt of each uuid, in arrival order. */
  firstReceipts(): number[] {
    const first = new Map<string, number>();
    for (const { uuid, at } of this.captures) {
      if (!first.has(uuid)) first.set(uuid, at);
    }
    return [...first.values()];
  }

  /** Ends held answers, then stops the server. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort();
      await this.#server.shutdown();
    })();
    return this.#closed;
  }

  /** The same as `close`. */
  stop(): Promise<void> {
    return this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Starts the fake on a free loopback port; `respond` defaults to accepting everything. */
export function startFakePostHog(respond: Responder = ok): FakePostHog {
  return new FakePostHog({ respond });
}
