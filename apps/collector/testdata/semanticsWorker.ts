// A worker process for worker.semantics.test.ts, with handlers that show how a job ends:
// `wait_signal` waits for its signal and logs "handler saw abort" (with the reason and how long
// after the start); `ignore_signal` ignores it, returns a result after `ms`, and logs "handler
// finished anyway". Opens DATABASE_URL, runs at concurrency 4 with JOB_LEASE_MS (default
// 3000) and WORKER_POLL_INTERVAL_MS (default 200), and logs "semantics worker ready".
import { z } from "zod";
import { useDatabaseFromEnv } from "../testing/scriptDatabase.ts";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { defineHandler } from "../worker/handler.ts";
import { startWorker } from "../worker/worker.ts";

const logger = createLogger({
  service: "semantics-worker",
  environment: "test",
});
await useDatabaseFromEnv();
const worker = await startWorker({
  handlers: [
    defineHandler({
      type: "wait_signal",
      schema: z.object({}),
      async process(_payload, ctx) {
        const started = performance.now();
        await ctx.progress({ phase: "waiting" });
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve(), { once: true })
        );
        logger.info("handler saw abort", {
          jobId: ctx.jobId,
          reason: String((ctx.signal.reason as Error)?.message),
          afterMs: Math.round(performance.now() - started),
        });
        throw ctx.signal.reason;
      },
    }),
    defineHandler({
      type: "ignore_signal",
      schema: z.object({ ms: z.number() }),
      async process({ ms }, ctx) {
        await new Promise((resolve) => setTimeout(resolve, ms));
        logger.info("handler finished anyway", { jobId: ctx.jobId });
        return { finished: true };
      },
    }),
  ],
  config: {
    concurrency: 4,
    leaseMs: Number(Deno.env.get("JOB_LEASE_MS") ?? 3_000),
    pollIntervalMs: Number(Deno.env.get("WORKER_POLL_INTERVAL_MS") ?? 200),
  },
  logger: createLogger({
    service: "semantics-worker",
    environment: "test",
    level: "info",
  }),
  schedules: [],
});
logger.info("semantics worker ready", { workerId: worker.id, pid: Deno.pid });
