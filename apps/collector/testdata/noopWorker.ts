// A worker process with one no-op handler, for load tests: opens DATABASE_URL, runs `noop`
// jobs at WORKER_CONCURRENCY (default 32) with every other setting at its default, logs JSON
// lines on stdout, and on SIGTERM stops gracefully, writes the ids it ran (one per line, repeats
// included) to RUNS_FILE, and logs "noop worker done" with its counts and backlog figures.
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { useDatabaseFromEnv } from "../testing/scriptDatabase.ts";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { startWorker } from "../worker/worker.ts";
import { noopHandler, RunCounter } from "../testing/saturation.ts";

const log = createLogger({ service: "noop-worker", environment: "test" });
// The worker itself logs warnings and errors only: a line per job would be most of the load.
const logger = log;
const workerLogger = createLogger({
  service: "noop-worker",
  environment: "test",
  level: "warn",
});
await useDatabaseFromEnv();
const runs = new RunCounter();
const worker = await startWorker({
  handlers: [noopHandler(runs)],
  config: { concurrency: Number(Deno.env.get("WORKER_CONCURRENCY") ?? 32) },
  logger: workerLogger,
  schedules: [],
});
logger.info("noop worker ready", { workerId: worker.id, pid: Deno.pid });
await new Promise<void>((resolve) =>
  Deno.addSignalListener("SIGTERM", () => resolve())
);
await worker.stop();
await Deno.writeTextFile(Deno.env.get("RUNS_FILE")!, runs.runList().join("\n"));
logger.info("noop worker done", {
  runs: runs.total,
  ranTwice: runs.ranTwice().length,
  peakUnsettled: worker.peakUnsettled,
  unsettledBound: worker.unsettledBound,
});
await bfDb.close();
Deno.exit(0);
