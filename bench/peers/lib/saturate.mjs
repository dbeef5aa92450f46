// Shared driver of W5 (sustained saturation), the shape an application embedding a queue has:
// one process holds the producer and the worker on one shared pool. The producer keeps about
// BENCH_TARGET jobs waiting (created minus handled) with batches of 200; the no-op handler counts
// every run, notices a payload seen before (a job run twice) and keeps each job's pickup delay
// (handler start minus the enqueue stamp in the payload). Protocol as lib/worker.mjs, plus
// "progress" events with {created, handled, ranTwice} every 100 ms and, on SIGTERM, one
// "saturation" event with the pickup percentiles before "stopped".
import { control, emit, envInt, now } from "./proto.mjs";

/** Batch size of the producer's inserts. */
const BATCH = 200;

/**
 * Runs W5 with `system`: `start(onJob)` starts the worker and resolves to `stop()`,
 * `addMany(payloads)` enqueues; both on one pool.
 */
export async function runSaturate(system) {
  const target = envInt("BENCH_TARGET", 4000);
  const { go, stop } = control();
  const tally = makeSaturationTally();
  emit("loaded", { pid: process.pid, t: now() });
  if (
    await Promise.race([go.then(() => true), stop.then(() => false)]) === false
  ) {
    process.exit(1);
  }
  emit("starting", { t: now() });
  const stopWorker = await system.start((startedAt, payload) =>
    tally.record(startedAt, payload)
  );
  emit("ready", { t: now() });
  let stopping = false;
  let created = 0;
  const producer = (async () => {
    while (!stopping) {
      if (created - tally.handled >= target) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const t = now();
      const payloads = Array.from(
        { length: BATCH },
        (_, k) => ({ i: created + k, t }),
      );
      await system.addMany(payloads);
      created += BATCH;
    }
  })();
  const timer = setInterval(
    () => emit("progress", tally.progress(created)),
    100,
  );
  await stop;
  stopping = true;
  await producer;
  clearInterval(timer);
  await stopWorker();
  emit("progress", tally.progress(created));
  emit("saturation", tally.summary(created));
  emit("stopped", { t: now() });
  process.exit(0);
}

/** Counts runs, repeats and pickup delays of W5's jobs. */
export function makeSaturationTally() {
  let seen = new Uint8Array(1 << 20);
  let handled = 0;
  let ranTwice = 0;
  const pickups = [];
  return {
    get handled() {
      return handled;
    },
    record(startedAt, payload) {
      handled++;
      const i = payload.i;
      while (i >= seen.length) {
        const grown = new Uint8Array(seen.length * 2);
        grown.set(seen);
        seen = grown;
      }
      if (seen[i]) ranTwice++;
      seen[i] = 1;
      pickups.push(startedAt - payload.t);
    },
    progress(created) {
      return { created, handled, ranTwice, t: now() };
    },
    summary(created) {
      const sorted = Float64Array.from(pickups).sort();
      const at = (q) =>
        sorted.length
          ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
          : NaN;
      return {
        created,
        handled,
        ranTwice,
        pickupP50Ms: at(0.5),
        pickupP99Ms: at(0.99),
      };
    },
  };
}
