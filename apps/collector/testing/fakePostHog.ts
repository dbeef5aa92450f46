/**
 * A local HTTP server standing in for PostHog's capture API in worker tests: it records every
 * capture it receives (with its `uuid`, the job id unless the event brings its own) and lets the
 * test decide each answer, including holding a request open for as long as it likes.
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

/** One capture request as the fake saw it. */
export interface Capture {
  /** The event name (`body.event`). */
  event: string;
  /** The deduplication key (`body.uuid`). */
  uuid: string;
  /** The whole JSON body. */
  body: Record<string, unknown>;
  /** Fires when the fake closes: an answer the test holds back should end then. */
  signal: AbortSignal;
}

/** Decides the answer to one capture; may wait as long as it likes. */
export type Responder = (capture: Capture) => Response | Promise<Response>;

/** A running fake; close it with `await using` or `close()`. */
export interface FakePostHog extends AsyncDisposable {
  /** The value for `POSTHOG_HOST`. */
  host: string;
  /** Every capture received, in arrival order. */
  captures: Capture[];
  /** Captures whose answer has not been sent yet. */
  readonly inFlight: number;
  /** How many times each uuid was captured. */
  uuidCounts(): Map<string, number>;
  /** Ends held answers, then stops the server. */
  close(): Promise<void>;
}

/** The answer PostHog gives to an accepted capture. */
export const ok: Responder = () => Response.json({ status: 1 });

/** Starts the fake on a free loopback port; `respond` defaults to accepting everything. */
export function startFakePostHog(respond: Responder = ok): FakePostHog {
  const closing = new AbortController();
  const captures: Capture[] = [];
  let inFlight = 0;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (request) => {
      let body: Record<string, unknown>;
      try {
        body = await request.json();
      } catch {
        return Response.json({ error: "bad json" }, { status: 400 });
      }
      const capture: Capture = {
        event: String(body.event),
        uuid: String(body.uuid),
        body,
        signal: closing.signal,
      };
      captures.push(capture);
      inFlight++;
      try {
        return await respond(capture);
      } finally {
        inFlight--;
      }
    },
  );
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing.abort();
      await server.shutdown();
    })();
    return closed;
  };
  return {
    host: `http://127.0.0.1:${server.addr.port}`,
    captures,
    get inFlight() {
      return inFlight;
    },
    uuidCounts() {
      const counts = new Map<string, number>();
      for (const { uuid } of captures) {
        counts.set(uuid, (counts.get(uuid) ?? 0) + 1);
      }
      return counts;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
