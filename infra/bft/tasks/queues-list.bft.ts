import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { formatTable } from "@bfmono/infra/bft/formatTable.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";
import { describeLimits } from "@bfmono/infra/bft/queueArgs.ts";

/** `bft queues list`: each queue's waiting and running jobs, pause and limits. */
export const bftTask: BftTask = {
  name: "queues list",
  description:
    "List queues: waiting, running, paused, concurrency and rate limits, fairness",
  usage: "queues list [--json]",
  run: async (args) => {
    const { flags } = parseArgs(args, { boolean: ["json"], maxPositionals: 0 });
    return await withOperator(async (ops) => {
      const queues = await ops.queues();
      if (flags.json) {
        console.log(JSON.stringify(queues, null, 2));
        return 0;
      }
      console.log(formatTable(
        ["queue", "waiting", "running", "paused", "limits"],
        queues.map((q) => [
          q.queue,
          String(q.waiting),
          String(q.running),
          q.paused ? "yes" : "no",
          describeLimits(q),
        ]),
      ));
      return 0;
    });
  },
};
