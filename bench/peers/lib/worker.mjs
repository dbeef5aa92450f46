// Shared worker driver. Protocol: "loaded" after imports; wait for "go" on stdin; "starting"
// right before the library's start call (the instant W1 measures from); "ready" once it returned;
// "progress"/"latencies" while jobs run; on SIGTERM, stop the library cleanly and "stopped".
import { control, emit, envInt, makeTally, now } from "./proto.mjs";

/**
 * Runs one bench worker. `start(onJob)` starts the library with a no-op handler that calls
 * `onJob(startedAt, payload)` first thing, and resolves to an async `stop()`.
 */
export async function runWorker(start) {
  const mode = process.env.BENCH_MODE ?? "drain";
  const expect = envInt("BENCH_EXPECT", 0);
  const tally = makeTally(mode, expect);
  const { go, stop: stopped } = control();
  emit("loaded", { pid: process.pid, t: now() });
  if (
    await Promise.race([go.then(() => true), stopped.then(() => false)]) ===
      false
  ) {
    process.exit(1);
  }
  emit("starting", { t: now() });
  const stop = await start((startedAt, payload) =>
    tally.record(startedAt, payload)
  );
  emit("ready", { t: now() });
  await stopped;
  tally.close();
  await stop();
  emit("stopped", { t: now() });
  process.exit(0);
}
