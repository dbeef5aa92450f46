// A worker process for worker.limits.test.ts: runs `limited` jobs from WORKER_QUEUES at
// concurrency 10. Each handler counts itself in the shared table `limits_probe` (made by the
// test) while it runs, so the peak the test reads is what the handlers saw, across processes,
// not what any worker believes; then it sleeps `ms`. Logs "limits worker ready".
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { defineHandler } from "../worker/handler.ts";
import { startWorker } from "../worker/worker.ts";
import { useDatabaseFromEnv } from "../testing/scriptDatabase.ts";

await useDatabaseFromEnv();
const worker = await startWorker({
  handlers: [
    defineHandler({
      type: "limited",
      schema: z.object({ ms: z.number() }),
      async process({ ms }) {
        await bfDb.query(
          `UPDATE limits_probe SET running = running + 1,
             peak = GREATEST(peak, running + 1), runs = runs + 1`,
        );
        try {
          await new Promise((resolve) => setTimeout(resolve, ms));
        } finally {
          await bfDb.query("UPDATE limits_probe SET running = running - 1");
        }
      },
    }),
  ],
  config: {
    concurrency: 10,
    queues: (Deno.env.get("WORKER_QUEUES") ?? "default").split(","),
    pollIntervalMs: 500,
  },
  logger: createLogger({
    service: "limits-worker",
    environment: "test",
    level: "warn",
  }),
  schedules: [],
});
createLogger({ service: "limits-worker", environment: "test" }).info(
  "limits worker ready",
  { workerId: worker.id, pid: Deno.pid },
);
