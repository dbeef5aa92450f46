import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs, parseInteger } from "@bfmono/infra/bft/args.ts";
import {
  parseInstant,
  parseOrgId,
  readJsonPayload,
} from "@bfmono/infra/bft/jobArgs.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/** `bft jobs enqueue`: validates a payload against its handler's schema and enqueues it. */
export const bftTask: BftTask = {
  name: "jobs enqueue",
  description:
    "Enqueue a job after checking its payload (JSON, - or @FILE) against the handler's schema",
  usage:
    "jobs enqueue TYPE JSON|-|@FILE [--run-at INSTANT] [--priority N] [--max-attempts N] [--org ORG]",
  details: [
    '  JSON            the payload itself, e.g. \'{"record_id":"r1"}\'',
    "  -               read the payload from standard input",
    "  @FILE           read the payload from FILE (for payloads too big for an argument)",
    "  --run-at        run no earlier than this ISO-8601 instant with an offset or Z,",
    "                  e.g. 2026-12-01T08:00:00Z or 2026-12-01T08:00:00.123+01:00",
    "  --priority      -1000000 to 1000000; higher runs first (default 0)",
    "  --max-attempts  1 to 1000 (default 3)",
    "  --org           the org the job belongs to (default the system org)",
  ].join("\n"),
  run: async (args) => {
    const { flags, positionals } = parseArgs(args, {
      string: ["run-at", "priority", "max-attempts", "org"],
      minPositionals: 2,
      maxPositionals: 2,
    });
    const [type, source] = positionals;
    // Every flag is checked before standard input is read, so a mistake never waits on input.
    const runAt = flags["run-at"] === undefined
      ? undefined
      : parseInstant(flags["run-at"], "--run-at");
    const priority = flags.priority === undefined
      ? undefined
      : parseInteger(flags.priority, "--priority", -1_000_000, 1_000_000);
    const maxAttempts = flags["max-attempts"] === undefined
      ? undefined
      : parseInteger(flags["max-attempts"], "--max-attempts", 1, 1_000);
    const orgId = flags.org === undefined
      ? undefined
      : parseOrgId(flags.org, "--org");
    const payload = await readJsonPayload(source);
    return await withOperator(async (ops) => {
      const { id } = await ops.enqueue({
        type,
        payload,
        runAt,
        priority,
        maxAttempts,
        orgId,
      });
      console.log(id);
      return 0;
    });
  },
};
