import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs, UsageError } from "@bfmono/infra/bft/args.ts";
import { parseJobName } from "@bfmono/infra/bft/jobArgs.ts";
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
    // Presence, not truthiness: an empty ID or --type is a mistake to report, never "all".
    const [rawId] = positionals;
    if (rawId !== undefined && (flags.failed || flags.type !== undefined)) {
      throw new UsageError("give an ID or --failed, not both");
    }
    if (rawId === undefined && !flags.failed) {
      throw new UsageError(
        "give a job ID, or --failed to retry all failed jobs",
      );
    }
    const id = rawId === undefined
      ? undefined
      : parseJobName(rawId, "ID", "job id");
    const type = flags.type === undefined
      ? undefined
      : parseJobName(flags.type, "--type", "job type");
    return await withOperator(async (ops) => {
      const { retried } = await ops.retry(
        id !== undefined ? { id } : { failed: true, type },
      );
      console.log(
        `retried ${retried.length} job${retried.length === 1 ? "" : "s"}`,
      );
      for (const jobId of retried) console.log(jobId);
      return 0;
    });
  },
};
