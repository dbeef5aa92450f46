import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs, quoteValue, UsageError } from "@bfmono/infra/bft/args.ts";
import { parseJobName } from "@bfmono/infra/bft/jobArgs.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

const CANCELLABLE = ["available", "claimed", "running"] as const;

/** `bft jobs cancel`: cancels one job, or the waiting (and running) jobs of a type. */
export const bftTask: BftTask = {
  name: "jobs cancel",
  description:
    "Cancel a job by id, or every waiting and running job of a type; running handlers are aborted",
  usage:
    "jobs cancel ID [--reason TEXT] | jobs cancel --type TYPE [--status available|claimed|running] [--reason TEXT]",
  run: async (args) => {
    const { flags, positionals } = parseArgs(args, {
      string: ["type", "status", "reason"],
      maxPositionals: 1,
    });
    const [rawId] = positionals;
    if (rawId !== undefined && flags.type !== undefined) {
      throw new UsageError("give an ID or --type, not both");
    }
    if (rawId === undefined && flags.type === undefined) {
      throw new UsageError("give a job ID, or --type to cancel a type's jobs");
    }
    if (rawId !== undefined && flags.status !== undefined) {
      throw new UsageError("--status goes with --type");
    }
    const status = flags.status;
    if (
      status !== undefined &&
      !(CANCELLABLE as readonly string[]).includes(status)
    ) {
      throw new UsageError(
        `--status must be one of ${CANCELLABLE.join(", ")}, got ${
          quoteValue(status)
        }`,
      );
    }
    const reason = flags.reason === undefined
      ? undefined
      : parseJobName(flags.reason, "--reason", "reason");
    const selection = rawId !== undefined
      ? { id: parseJobName(rawId, "ID", "job id"), reason }
      : {
        type: parseJobName(flags.type!, "--type", "job type"),
        statuses: status ? [status as typeof CANCELLABLE[number]] : undefined,
        reason,
      };
    return await withOperator(async (ops) => {
      const { cancelled } = await ops.cancel(selection);
      console.log(
        `cancelled ${cancelled.length} job${cancelled.length === 1 ? "" : "s"}`,
      );
      for (const job of cancelled) {
        console.log(
          job.workerId
            ? `${job.id} (was ${job.was} on ${job.workerId})`
            : `${job.id} (was ${job.was})`,
        );
      }
      return 0;
    });
  },
};
