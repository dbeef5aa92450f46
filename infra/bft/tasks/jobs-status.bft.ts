import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";
import { formatTable } from "@bfmono/infra/bft/formatTable.ts";
import { describeLimits } from "@bfmono/infra/bft/queueArgs.ts";

/**
 * `bft jobs status`: counts by type and status, the oldest job a live worker serves, failed
 * count, and apart the waiting jobs no live worker serves.
 */
export const bftTask: BftTask = {
  name: "jobs status",
  description:
    "Show job counts by type and status, the oldest waiting job and failures",
  usage: "jobs status [--json]",
  run: async (args) => {
    const { flags } = parseArgs(args, { boolean: ["json"], maxPositionals: 0 });
    return await withOperator(async (ops) => {
      const stats = await ops.status();
      if (flags.json) {
        console.log(JSON.stringify(stats, null, 2));
        return 0;
      }
      console.log(
        formatTable(
          ["type", "status", "count"],
          stats.counts.map((c) => [c.type, c.status, String(c.count)]),
        ),
      );
      const age = stats.oldestAvailableAgeSeconds;
      console.log(
        `\navailable: ${stats.available}  in flight: ${stats.inFlight}  failed: ${stats.failed}` +
          `  oldest runnable job waiting: ${
            age === null ? "none" : `${age.toFixed(1)} s`
          }  live workers: ${stats.liveWorkers}`,
      );
      // Waiting jobs a queue's pause or limit holds back: no attempt is counted while they wait.
      const held = (await ops.queues()).filter((q) =>
        q.paused || q.globalConcurrency !== null || q.rateLimit !== null
      );
      if (held.length > 0) {
        console.log(
          `queues with limits: ${
            held.map((q) =>
              `${q.queue} (${
                describeLimits(q)
              }; ${q.waiting} waiting, ${q.running} running)`
            ).join(", ")
          }`,
        );
      }
      if (stats.unhandled.length > 0) {
        console.log(
          `no live worker serves: ${
            stats.unhandled.map((u) =>
              `${u.queue}/${u.type} (${u.available} waiting, oldest ${
                u.oldestAgeSeconds.toFixed(0)
              } s)`
            ).join(", ")
          }`,
        );
      }
      return 0;
    });
  },
};
