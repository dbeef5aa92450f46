// A worker process whose `crash` handler takes the whole process down (Deno.exit(70), as a
// handler calling exit or a native crash would), beside a `quick` no-op handler. Opens
// DATABASE_URL, runs at WORKER_CONCURRENCY (default 1) with JOB_LEASE_MS (default 1000), logs
// "crashing worker ready"; the jobs it held are left to the reaper.
import { z } from "zod";
import { useDatabaseFromEnv } from "../testing/scriptDatabase.ts";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { defineHandler } from "../worker/handler.ts";
import { startWorker } from "../worker/worker.ts";

const logger = createLogger({
  service: "crashing-worker",
  environment: "test",
});
await useDatabaseFromEnv();
const worker = await startWorker({
  handlers: [
    defineHandler({ type: "quick", schema: z.object({}), process() {} }),
    defineHandler({
      type: "crash",
      schema: z.object({}),
      process() {
        Deno.exit(70);
      },
    }),
  ],
  config: {
    concurrency: Number(Deno.env.get("WORKER_CONCURRENCY") ?? 1),
    leaseMs: Number(Deno.env.get("JOB_LEASE_MS") ?? 1_000),
  },
  logger: createLogger({
    service: "crashing-worker",
    environment: "test",
    level: "warn",
  }),
  schedules: [],
});
logger.info("crashing worker ready", { workerId: worker.id, pid: Deno.pid });
