// W5 for us: BfJob.createMany and startWorker in one process on bfDb's one pool of 10, the
// worker at BENCH_CONCURRENCY with every other setting at its default (see
// bench/peers/lib/saturate.mjs, whose driver this shares).
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { defineHandler } from "@bfmono/apps/collector/worker/handler.ts";
import { startWorker } from "@bfmono/apps/collector/worker/worker.ts";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { z } from "zod";
import { now } from "../lib/clock.ts";
import { runSaturate } from "../peers/lib/saturate.mjs";
import { JOB_TYPE } from "./jobTypes.ts";
import { openBench } from "./open.ts";
import { envInt } from "./proto.ts";

const encoder = new TextEncoder();
const logger = createLogger({
  service: "bench",
  environment: "production",
  level: "warn",
  write: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")),
});
const cv = await openBench();
await runSaturate({
  async start(onJob: (startedAt: number, payload: unknown) => void) {
    const noop = defineHandler({
      type: JOB_TYPE,
      schema: z.object({ i: z.number(), t: z.number() }).passthrough(),
      process(payload) {
        onJob(now(), payload);
      },
    });
    const worker = await startWorker({
      handlers: [noop],
      config: { concurrency: envInt("BENCH_CONCURRENCY", 32) },
      logger,
      schedules: [],
    });
    return async () => {
      await worker.stop();
      await bfDb.close();
    };
  },
  addMany: (payloads: unknown[]) =>
    BfJob.createMany(
      payloads.map((payload) => ({ type: JOB_TYPE, payload })),
      cv,
    ),
});
