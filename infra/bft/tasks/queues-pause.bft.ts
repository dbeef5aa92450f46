import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";
import { parseQueueName } from "@bfmono/infra/bft/queueArgs.ts";

/** `bft queues pause NAME`. */
export const bftTask: BftTask = {
  name: "queues pause",
  description:
    "Pause a queue: no job of it starts until resumed; running ones finish",
  usage: "queues pause NAME",
  run: async (args) => {
    const { positionals } = parseArgs(args, { maxPositionals: 1 });
    const name = parseQueueName(positionals[0]);
    return await withOperator(async (ops) => {
      await ops.setQueue({ name, paused: true });
      console.log(`paused ${name}`);
      return 0;
    });
  },
};
