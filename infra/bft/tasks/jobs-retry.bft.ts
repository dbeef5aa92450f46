import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs, UsageError } from "@bfmono/infra/bft/args.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft jobs retry`: puts one failed job, or every failed job (of a type), back in the queue. */
export const bftTask: BftTask = {
  name: "jobs retry",
  description:
    "Retry a failed job by id, or all failed jobs (optionally of one type)",
  usage: "jobs retry ID | jobs retry --failed [--type TYPE]",
  run: async (args) => {
    const { flags, positionals } = parseArgs(args, {
      string: ["type"],
      boolean: ["failed"],
      maxPositionals: 1,
    });
    const [id] = positionals;
    if (id && (flags.failed || flags.type)) {
      throw new UsageError("give an ID or --failed, not both");
    }
    if (!id && !flags.failed) {
      throw new UsageError(
        "give a job ID, or --failed to retry all failed jobs",
      );
    }
    return await withOperator(async (ops) => {
      const { retried } = await ops.retry(
        id ? { id } : { failed: true, type: flags.type },
      );
      console.log(
        `retried ${retried.length} job${retried.length === 1 ? "" : "s"}`,
      );
      for (const jobId of retried) console.log(jobId);
      return 0;
    });
  },
};
