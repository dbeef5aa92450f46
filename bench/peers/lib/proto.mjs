// The line protocol every bench process speaks with the harness (bench/lib/proc.ts):
// one JSON object per stdout line, `{ "event": ..., ... }`; logs go to stderr.
import { createInterface } from "node:readline";

/** Wall clock in milliseconds with sub-millisecond resolution. */
export function now() {
  return performance.timeOrigin + performance.now();
}

/** Writes one protocol event as a JSON line on stdout. */
export function emit(event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
}

/** Reads a positive integer from the environment, or returns the fallback. */
export function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${name} must be an integer, got ${raw}`);
  }
  return n;
}

/** Returns DATABASE_URL or throws. */
export function databaseUrl() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is required");
  return url;
}

/**
 * Watches stdin for the harness: `go` resolves when a line "go" arrives (the start barrier);
 * `stop` resolves on SIGTERM, SIGINT, or stdin closing (the harness went away).
 */
export function control() {
  let onGo;
  let onStop;
  const go = new Promise((r) => (onGo = r));
  const stop = new Promise((r) => (onStop = r));
  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    if (line.trim() === "go") onGo();
  });
  rl.on("close", () => onStop());
  process.once("SIGTERM", () => onStop());
  process.once("SIGINT", () => onStop());
  return { go, stop };
}

/**
 * Counts handled jobs and reports them: "progress" events (at most every 20 ms) in drain mode,
 * one "latencies" event with every enqueue-to-start delay once `expect` jobs ran in latency mode.
 */
export function makeTally(mode, expect) {
  let handled = 0;
  let reported = 0;
  const latencies = [];
  const timer = setInterval(() => {
    if (handled !== reported) {
      reported = handled;
      emit("progress", { handled, t: now() });
    }
  }, 20);
  timer.unref();
  return {
    /** Records one job whose handler started at `startedAt`, enqueued at `payload.t`. */
    record(startedAt, payload) {
      handled++;
      if (mode === "latency" && payload && typeof payload.t === "number") {
        latencies.push(startedAt - payload.t);
        if (latencies.length === expect) {
          emit("latencies", { values: latencies });
        }
      }
    },
    /** Stops the progress timer and reports the final count. */
    close() {
      clearInterval(timer);
      emit("progress", { handled, t: now() });
    },
  };
}

/** Sleeps until the wall-clock instant `at` (ms). */
export function sleepUntil(at) {
  const ms = at - now();
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
