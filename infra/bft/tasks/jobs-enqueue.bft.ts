import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs, parseInteger, UsageError } from "@bfmono/infra/bft/args.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft jobs enqueue`: validates a payload against its handler's schema and enqueues it. */
export const bftTask: BftTask = {
  name: "jobs enqueue",
  description:
    "Enqueue a job after checking its payload against the handler's schema",
  usage:
    "jobs enqueue TYPE JSON [--run-at ISO] [--priority N] [--max-attempts N] [--org ORG]",
  run: async (args) => {
    const { flags, positionals } = parseArgs(args, {
      string: ["run-at", "priority", "max-attempts", "org"],
      minPositionals: 2,
      maxPositionals: 2,
    });
    const [type, json] = positionals;
    let payload: unknown;
    try {
      payload = JSON.parse(json);
    } catch (error) {
      throw new UsageError(
        `JSON payload does not parse: ${(error as Error).message}`,
      );
    }
    const runAt = flags["run-at"];
    if (runAt !== undefined && Number.isNaN(Date.parse(runAt))) {
      throw new UsageError(
        `--run-at must be an ISO-8601 instant, got ${JSON.stringify(runAt)}`,
      );
    }
    const priority = flags.priority === undefined
      ? undefined
      : parseInteger(flags.priority, "--priority", -1_000_000, 1_000_000);
    const maxAttempts = flags["max-attempts"] === undefined
      ? undefined
      : parseInteger(flags["max-attempts"], "--max-attempts", 1, 1_000);
    return await withOperator(async (ops) => {
      const { id } = await ops.enqueue({
        type,
        payload,
        runAt: runAt === undefined ? undefined : new Date(runAt).toISOString(),
        priority,
        maxAttempts,
        orgId: flags.org,
      });
      console.log(id);
      return 0;
    });
  },
};
