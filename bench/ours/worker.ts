// Our worker with one no-op handler, for the bench; protocol as bench/peers/lib/worker.mjs:
// "loaded", wait for "go", "starting" (W1's clock starts here), "ready", progress, "stopped".
// Like the peers' bench workers it logs warnings and errors only (to stderr) and serves no HTTP.
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { defineHandler } from "@bfmono/apps/collector/worker/handler.ts";
import { startWorker } from "@bfmono/apps/collector/worker/worker.ts";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { DEFAULT_DATABASE_POOL_SIZE } from "@bfmono/apps/collector/process/config.ts";
import { z } from "zod";
import { now } from "../lib/clock.ts";
import { JOB_TYPE } from "./jobTypes.ts";
import { migrateBench, useBenchBackend } from "./open.ts";
import { control, emit, envInt, makeTally } from "./proto.ts";

const mode = Deno.env.get("BENCH_MODE") ?? "drain";
const tally = makeTally(mode, envInt("BENCH_EXPECT", 0));
const { go, stop } = control();
const encoder = new TextEncoder();
const logger = createLogger({
  service: "bench",
  environment: "production",
  level: "warn",
  write: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")),
});
const noop = defineHandler({
  type: JOB_TYPE,
  schema: z.object({ i: z.number(), t: z.number() }).passthrough(),
  process(payload) {
    tally.record(now(), payload);
  },
});
// The pool `bft worker` opens (DATABASE_POOL_SIZE, default DEFAULT_DATABASE_POOL_SIZE).
await useBenchBackend(DEFAULT_DATABASE_POOL_SIZE);
emit("loaded", { pid: Deno.pid, t: now() });
if (!await Promise.race([go.then(() => true), stop.then(() => false)])) {
  Deno.exit(1);
}

emit("starting", { t: now() });
await migrateBench(); // as `bft worker` does at start (the peers' start calls do the same)
const worker = await startWorker({
  handlers: [noop],
  config: { concurrency: envInt("BENCH_CONCURRENCY", 10) },
  logger,
  schedules: [],
});
emit("ready", { t: now() });
await stop;
tally.close();
await worker.stop();
emit("stopped", { t: now() });
await bfDb.close();
Deno.exit(0);
