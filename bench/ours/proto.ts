// The bench line protocol for our Deno processes; the same events as bench/peers/lib/proto.mjs.
import { now } from "../lib/clock.ts";

/** Writes one protocol event as a JSON line on stdout. */
export function emit(
  event: string,
  fields: Record<string, unknown> = {},
): void {
  const line = JSON.stringify({ event, ...fields }) + "\n";
  Deno.stdout.writeSync(new TextEncoder().encode(line));
}

/** Reads a whole number from the environment, or returns the fallback. */
export function envInt(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${name} must be an integer, got ${raw}`);
  }
  return n;
}

/** Returns DATABASE_URL or throws. */
export function databaseUrl(): string {
  const url = Deno.env.get("DATABASE_URL");
  if (!url) throw new Error("DATABASE_URL is required");
  return url;
}

/** Start barrier and stop signal: `go` on a stdin line "go"; `stop` on SIGTERM/SIGINT/stdin EOF. */
export function control(): { go: Promise<void>; stop: Promise<void> } {
  let onGo = () => {};
  let onStop = () => {};
  const go = new Promise<void>((r) => (onGo = r));
  const stop = new Promise<void>((r) => (onStop = r));
  Deno.addSignalListener("SIGTERM", () => onStop());
  Deno.addSignalListener("SIGINT", () => onStop());
  (async () => {
    let buf = "";
    for await (
      const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())
    ) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        if (buf.slice(0, nl).trim() === "go") onGo();
        buf = buf.slice(nl + 1);
      }
    }
    onStop();
  })();
  return { go, stop };
}

/** Handled-job counter: "progress" events in drain mode, one "latencies" event in latency mode. */
export interface Tally {
  /** Records one job whose handler started at `startedAt`, enqueued at `payload.t`. */
  record(startedAt: number, payload: { t?: unknown }): void;
  /** Stops the progress timer and reports the final count. */
  close(): void;
}

/** Makes the tally the worker's no-op handler feeds (see bench/peers/lib/proto.mjs). */
export function makeTally(mode: string, expect: number): Tally {
  let handled = 0;
  let reported = 0;
  const latencies: number[] = [];
  const timer = setInterval(() => {
    if (handled !== reported) {
      reported = handled;
      emit("progress", { handled, t: now() });
    }
  }, 20);
  Deno.unrefTimer(timer);
  return {
    record(startedAt, payload) {
      handled++;
      if (mode === "latency" && typeof payload.t === "number") {
        latencies.push(startedAt - payload.t);
        if (latencies.length === expect) {
          emit("latencies", { values: latencies });
        }
      }
    },
    close() {
      clearInterval(timer);
      emit("progress", { handled, t: now() });
    },
  };
}
