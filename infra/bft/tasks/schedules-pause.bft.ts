import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { parseJobName } from "@bfmono/infra/bft/jobArgs.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft schedules pause NAME`. */
export const bftTask: BftTask = {
  name: "schedules pause",
  description: "Pause a schedule: no slot fires until it is resumed",
  usage: "schedules pause NAME",
  run: async (args) => {
    const { positionals } = parseArgs(args, { maxPositionals: 1 });
    const name = parseJobName(positionals[0] ?? "", "NAME", "schedule name");
    return await withOperator(async (ops) => {
      const result = await ops.schedule({ name, action: "pause" });
      console.log(result.jobId ?? `paused ${name}`);
      return 0;
    });
  },
};
