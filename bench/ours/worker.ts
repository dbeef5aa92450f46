// Our worker with one no-op handler, for the bench; protocol as bench/peers/lib/worker.mjs:
// "loaded", wait for "go", "starting" (W1's clock starts here), "ready", progress, "stopped".
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { startWorker } from "@bfmono/apps/collector/worker.ts";
import { z } from "zod";
import { now } from "../lib/clock.ts";
import { JOB_TYPE, openBench } from "./open.ts";
import { control, emit, envInt, makeTally } from "./proto.ts";

const mode = Deno.env.get("BENCH_MODE") ?? "drain";
const tally = makeTally(mode, envInt("BENCH_EXPECT", 0));
const { go, stop } = control();
await openBench();
emit("loaded", { pid: Deno.pid, t: now() });
if (!await Promise.race([go.then(() => true), stop.then(() => false)])) {
  Deno.exit(1);
}

emit("starting", { t: now() });
const worker = await startWorker({
  handlers: [{
    type: JOB_TYPE,
    schema: z.object({ i: z.number(), t: z.number() }).passthrough(),
    process(payload: { t: number }) {
      tally.record(now(), payload);
    },
  }],
  config: { concurrency: envInt("BENCH_CONCURRENCY", 10), healthCheckPort: 0 },
});
emit("ready", { t: now() });
await stop;
tally.close();
await worker.stop();
emit("stopped", { t: now() });
await bfDb.close();
Deno.exit(0);
