import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";

/** `bft worker`: runs the collector worker until SIGINT/SIGTERM. */
export const bftTask: BftTask = {
  name: "worker",
  description:
    "Run the job worker (configured by DATABASE_URL, WORKER_CONCURRENCY, …)",
  usage: "worker",
  run: async (args) => {
    parseArgs(args, { maxPositionals: 0 });
    const { runWorkerProcess } = await import(
      "@bfmono/apps/collector/process/main.ts"
    );
    return await runWorkerProcess();
  },
};
