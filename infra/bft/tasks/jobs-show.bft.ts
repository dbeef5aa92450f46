import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { parseJobName } from "@bfmono/infra/bft/jobArgs.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft jobs show ID`: every prop of one job, as JSON. */
export const bftTask: BftTask = {
  name: "jobs show",
  description:
    "Show one job: payload, result, progress, snoozes, error history and timestamps",
  usage: "jobs show ID",
  run: async (args) => {
    const { positionals } = parseArgs(args, { maxPositionals: 1 });
    const [rawId] = positionals;
    const id = parseJobName(rawId ?? "", "ID", "job id");
    return await withOperator(async (ops) => {
      console.log(JSON.stringify(await ops.show({ id }), null, 2));
      return 0;
    });
  },
};
