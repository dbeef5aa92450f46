import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs, parseInteger } from "@bfmono/infra/bft/args.ts";
import { formatTable } from "@bfmono/infra/bft/formatTable.ts";
import { parseJobName, parseJobStatus } from "@bfmono/infra/bft/jobArgs.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft jobs list`: jobs by status and type, with attempts and last error. */
export const bftTask: BftTask = {
  name: "jobs list",
  description: "List jobs by status (e.g. failed) with attempts and last error",
  usage: "jobs list [--status STATUS] [--type TYPE] [--limit N] [--json]",
  run: async (args) => {
    const { flags } = parseArgs(args, {
      string: ["status", "type", "limit"],
      boolean: ["json"],
      maxPositionals: 0,
    });
    const limit = flags.limit === undefined
      ? 50
      : parseInteger(flags.limit, "--limit", 1, 10_000);
    const status = flags.status === undefined
      ? undefined
      : parseJobStatus(flags.status, "--status");
    const type = flags.type === undefined
      ? undefined
      : parseJobName(flags.type, "--type", "job type");
    return await withOperator(async (ops) => {
      const jobs = await ops.list({ status, type, limit });
      if (flags.json) {
        console.log(JSON.stringify(jobs, null, 2));
        return 0;
      }
      console.log(formatTable(
        ["id", "type", "status", "attempts", "last error"],
        jobs.map((j) => [
          j.id,
          j.type,
          j.status,
          `${j.attempts}/${j.maxAttempts}`,
          (j.error ?? "").replaceAll("\n", " ").slice(0, 80),
        ]),
      ));
      return 0;
    });
  },
};
