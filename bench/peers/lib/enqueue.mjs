// Shared enqueue driver: one of three modes chosen by BENCH_MODE, timed the same way for every
// system. Reports {"event":"done","n","ms"} where ms runs from just before the first enqueue call
// to just after the last one resolved (client connected and warmed up beforehand).
import { emit, envInt, now, sleepUntil } from "./proto.mjs";

/**
 * Runs the enqueue workload against `client`, which provides
 * `addOne(payload)`, `addMany(payloads)`, `warm()` and `close()`.
 */
export async function runEnqueue(client) {
  const mode = process.env.BENCH_MODE ?? "single";
  const n = envInt("BENCH_N", 1000);
  const batch = envInt("BENCH_BATCH", 1000);
  const intervalMs = envInt("BENCH_INTERVAL_MS", 20);
  await client.warm();
  const t0 = now();
  if (mode === "single") {
    for (let i = 0; i < n; i++) await client.addOne({ i, t: now() });
  } else if (mode === "batch") {
    for (let i = 0; i < n; i += batch) {
      const size = Math.min(batch, n - i);
      const t = now();
      const payloads = Array.from(
        { length: size },
        (_, k) => ({ i: i + k, t }),
      );
      await client.addMany(payloads);
    }
  } else if (mode === "latency") {
    for (let i = 0; i < n; i++) {
      await sleepUntil(t0 + i * intervalMs);
      await client.addOne({ i, t: now() });
    }
  } else {
    throw new Error(`unknown BENCH_MODE ${mode}`);
  }
  const ms = now() - t0;
  emit("done", { n, ms });
  await client.close();
}
