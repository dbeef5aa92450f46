/**
 * A local HTTP server standing in for PostHog's capture endpoint (`POST /i/v0/e/`). It records
 * every event uuid it receives, with how many times and when, and answers 200 after an
 * adjustable delay (so jobs can be caught in flight).
 *
 * @example
 * ```ts
 * const fake = await FakePostHog.start({ delayMs: 25 });
 * // POSTHOG_HOST = fake.url
 * fake.count("0190…"); // deliveries of one uuid
 * await fake.stop();
 * ```
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";

/** One capture request as received. */
export interface Delivery {
  uuid: string;
  /** Epoch ms when the request arrived. */
  at: number;
}

/** Options for {@linkcode FakePostHog.start}. */
export interface FakePostHogOptions {
  /** How long to wait before answering each capture; default 0. */
  delayMs?: number;
}

/** The fake PostHog server; see the module doc. */
export class FakePostHog {
  readonly deliveries: Delivery[] = [];
  readonly #counts = new Map<string, number>();
  readonly #first = new Map<string, number>();
  readonly #open = new Set<string>();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #aborted = new AbortController();
  /** Delay before each answer; may be changed while running. */
  delayMs: number;
  /** Requests that were not a capture with a uuid (must stay 0). */
  malformed = 0;
  /** Captures received and not yet answered. */
  inFlight = 0;

  private constructor(delayMs: number) {
    this.delayMs = delayMs;
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, (request) => this.#handle(request));
  }

  /** Starts listening on a free loopback port. */
  static start(options: FakePostHogOptions = {}): Promise<FakePostHog> {
    return Promise.resolve(new FakePostHog(options.delayMs ?? 0));
  }

  /** The base URL to give workers as `POSTHOG_HOST`. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  async #handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method !== "POST" || path !== "/i/v0/e/") {
      this.malformed++;
      return new Response("not found", { status: 404 });
    }
    let uuid: unknown;
    try {
      uuid = (await request.json())?.uuid;
    } catch {
      // counted below
    }
    if (typeof uuid !== "string" || uuid === "") {
      this.malformed++;
      return new Response('{"error":"no uuid"}', { status: 400 });
    }
    const at = Date.now();
    this.deliveries.push({ uuid, at });
    this.#counts.set(uuid, (this.#counts.get(uuid) ?? 0) + 1);
    if (!this.#first.has(uuid)) this.#first.set(uuid, at);
    this.inFlight++;
    this.#open.add(uuid);
    try {
      if (this.delayMs > 0) {
        await sleep(this.delayMs, undefined, { signal: this.#aborted.signal })
          .catch(() => {});
      }
    } finally {
      this.inFlight--;
      this.#open.delete(uuid);
    }
    return new Response('{"status":1}', {
      headers: { "content-type": "application/json" },
    });
  }

  /** uuids whose capture has arrived and is not answered yet. */
  openUuids(): string[] {
    return [...this.#open];
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

  /** Epoch ms of the first receipt of each uuid, in arrival order. */
  firstReceipts(): number[] {
    return [...this.#first.values()];
  }

  /** Stops the server, answering nothing further. */
  async stop(): Promise<void> {
    this.#aborted.abort();
    await this.#server.shutdown();
  }
}
