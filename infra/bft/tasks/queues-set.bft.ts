import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs, UsageError } from "@bfmono/infra/bft/args.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";
import {
  describeLimits,
  parseConcurrency,
  parseFair,
  parseQueueName,
  parseRate,
} from "@bfmono/infra/bft/queueArgs.ts";

/** `bft queues set NAME`: a queue's global concurrency, rate limit and fair share between orgs. */
export const bftTask: BftTask = {
  name: "queues set",
  description:
    "Set a queue's limits: jobs running at once across all workers, starts per window, fair share between orgs",
  usage:
    "queues set NAME [--concurrency N|off] [--rate COUNT/DURATION|off] [--fair on|off]",
  run: async (args) => {
    const { flags, positionals } = parseArgs(args, {
      string: ["concurrency", "rate", "fair"],
      maxPositionals: 1,
    });
    const name = parseQueueName(positionals[0]);
    if (
      flags.concurrency === undefined && flags.rate === undefined &&
      flags.fair === undefined
    ) {
      throw new UsageError("give --concurrency, --rate or --fair");
    }
    return await withOperator(async (ops) => {
      const settings = await ops.setQueue({
        name,
        ...(flags.concurrency === undefined
          ? {}
          : { globalConcurrency: parseConcurrency(flags.concurrency) }),
        ...(flags.rate === undefined
          ? {}
          : { rateLimit: parseRate(flags.rate) }),
        ...(flags.fair === undefined
          ? {}
          : { fairByOrg: parseFair(flags.fair) }),
      });
      console.log(`${name}: ${describeLimits(settings)}`);
      return 0;
    });
  },
};
