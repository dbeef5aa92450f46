// A worker process for worker.schedules.test.ts: runs a no-op `tick` handler and the schedule
// `every-second` (`* * * * * *`), so several of them race to fire each slot. Opens
// DATABASE_URL and logs "schedule worker ready".
import { z } from "zod";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { defineHandler } from "../worker/handler.ts";
import { defineSchedule } from "../worker/schedule.ts";
import { startWorker } from "../worker/worker.ts";
import { useDatabaseFromEnv } from "../testing/scriptDatabase.ts";

await useDatabaseFromEnv();
const worker = await startWorker({
  handlers: [
    defineHandler({ type: "tick", schema: z.object({}), process() {} }),
  ],
  schedules: [
    defineSchedule({ name: "every-second", cron: "* * * * * *", type: "tick" }),
  ],
  config: { concurrency: 2 },
  logger: createLogger({
    service: "schedule-worker",
    environment: "test",
    level: "warn",
  }),
});
createLogger({ service: "schedule-worker", environment: "test" }).info(
  "schedule worker ready",
  { workerId: worker.id, pid: Deno.pid },
);
