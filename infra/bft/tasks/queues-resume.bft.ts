import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";
import { parseQueueName } from "@bfmono/infra/bft/queueArgs.ts";

/** `bft queues resume NAME`. */
export const bftTask: BftTask = {
  name: "queues resume",
  description: "Resume a paused queue",
  usage: "queues resume NAME",
  run: async (args) => {
    const { positionals } = parseArgs(args, { maxPositionals: 1 });
    const name = parseQueueName(positionals[0]);
    return await withOperator(async (ops) => {
      await ops.setQueue({ name, paused: false });
      console.log(`resumed ${name}`);
      return 0;
    });
  },
};
