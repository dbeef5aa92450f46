// A graphile-worker process with one no-op task, for the bench (see lib/worker.mjs).
import { load } from "../lib/packages.mjs";
import { databaseUrl, now } from "../lib/proto.mjs";
import { runWorker } from "../lib/worker.mjs";
import { logger, TASK, workerPreset } from "./options.mjs";

const { run } = await load("graphile-worker");

await runWorker(async (onJob) => {
  const runner = await run({
    connectionString: databaseUrl(),
    logger,
    noHandleSignals: true,
    preset: workerPreset(),
    taskList: { [TASK]: (payload) => onJob(now(), payload) },
  });
  return () => runner.stop();
});
