import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import {
  parseArgs,
  parseDuration,
  UsageError,
} from "@bfmono/infra/bft/args.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft jobs prune`: deletes completed jobs older than a duration. */
export const bftTask: BftTask = {
  name: "jobs prune",
  description:
    "Delete completed jobs that finished longer ago than a duration (e.g. 7d)",
  usage: "jobs prune --older-than DURATION",
  run: async (args) => {
    const { flags } = parseArgs(args, {
      string: ["older-than"],
      maxPositionals: 0,
    });
    if (flags["older-than"] === undefined) {
      throw new UsageError("--older-than is required, e.g. 7d");
    }
    const olderThanMs = parseDuration(flags["older-than"], "--older-than");
    return await withOperator(async (ops) => {
      const { deleted } = await ops.prune({ olderThanMs });
      console.log(
        `deleted ${deleted} completed job${deleted === 1 ? "" : "s"}`,
      );
      return 0;
    });
  },
};
