import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { parseJobName } from "@bfmono/infra/bft/jobArgs.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft schedules run NAME`. */
export const bftTask: BftTask = {
  name: "schedules run",
  description:
    "Enqueue one job of a schedule now, outside its slots; prints the job id",
  usage: "schedules run NAME",
  run: async (args) => {
    const { positionals } = parseArgs(args, { maxPositionals: 1 });
    const name = parseJobName(positionals[0] ?? "", "NAME", "schedule name");
    return await withOperator(async (ops) => {
      const result = await ops.schedule({ name, action: "run" });
      console.log(result.jobId);
      return 0;
    });
  },
};
