import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { parseJobName } from "@bfmono/infra/bft/jobArgs.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft schedules resume NAME`. */
export const bftTask: BftTask = {
  name: "schedules resume",
  description:
    "Resume a paused schedule from now (slots passed while paused do not fire)",
  usage: "schedules resume NAME",
  run: async (args) => {
    const { positionals } = parseArgs(args, { maxPositionals: 1 });
    const name = parseJobName(positionals[0] ?? "", "NAME", "schedule name");
    return await withOperator(async (ops) => {
      const result = await ops.schedule({ name, action: "resume" });
      console.log(result.jobId ?? `resumed ${name}`);
      return 0;
    });
  },
};
