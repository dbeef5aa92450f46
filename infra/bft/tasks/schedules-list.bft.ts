import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { formatTable } from "@bfmono/infra/bft/formatTable.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft schedules list`: every stored schedule with its next and last slot. */
export const bftTask: BftTask = {
  name: "schedules list",
  description: "List schedules: name, cron, zone, next run, last fired, paused",
  usage: "schedules list [--json]",
  run: async (args) => {
    const { flags } = parseArgs(args, { boolean: ["json"], maxPositionals: 0 });
    return await withOperator(async (ops) => {
      const schedules = await ops.schedules();
      if (flags.json) {
        console.log(JSON.stringify(schedules, null, 2));
        return 0;
      }
      console.log(formatTable(
        [
          "name",
          "cron",
          "zone",
          "type",
          "next run",
          "last fired",
          "missed",
          "paused",
        ],
        schedules.map((s) => [
          s.name,
          s.cron,
          s.timezone,
          s.type,
          s.paused ? "-" : s.nextSlot ?? "never",
          s.lastFiredSlot ?? "-",
          s.missed,
          s.paused ? "yes" : "no",
        ]),
      ));
      return 0;
    });
  },
};
