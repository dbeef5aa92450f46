// `bft worker` as main.ts runs it, with one more schedule whose cron expression or time zone
// (from BAD_CRON and BAD_TIMEZONE) is wrong, for main.config.test.ts: it must exit 2 with one
// line naming the schedule before it touches the database.
import { runWorkerProcess } from "../process/main.ts";

Deno.exit(
  await runWorkerProcess(Deno.env.toObject(), {
    schedules: [{
      name: "broken-report",
      cron: Deno.env.get("BAD_CRON") ?? "* * * * *",
      timezone: Deno.env.get("BAD_TIMEZONE") ?? "UTC",
      type: "process_new_record",
      payload: { record_id: "r" },
    }],
  }),
);
