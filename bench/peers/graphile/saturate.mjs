// W5 for graphile-worker: producer (WorkerUtils.addJobs) and runner on one pg Pool (see
// lib/saturate.mjs).
import { load } from "../lib/packages.mjs";
import { databaseUrl, envInt, now } from "../lib/proto.mjs";
import { runSaturate } from "../lib/saturate.mjs";
import { logger, TASK, workerPreset } from "./options.mjs";

const { run, makeWorkerUtils } = await load("graphile-worker");
const { default: pg } = await load("pg");

const pgPool = new pg.Pool({
  connectionString: databaseUrl(),
  max: envInt("BENCH_POOL", 10),
});
const utils = await makeWorkerUtils({ pgPool, logger });
await runSaturate({
  async start(onJob) {
    const preset = workerPreset();
    preset.worker.maxPoolSize = envInt("BENCH_POOL", 10);
    const runner = await run({
      pgPool,
      logger,
      noHandleSignals: true,
      preset,
      taskList: { [TASK]: (payload) => onJob(now(), payload) },
    });
    return async () => {
      await runner.stop();
      await utils.release();
      await pgPool.end();
    };
  },
  addMany: (payloads) =>
    utils.addJobs(payloads.map((payload) => ({ identifier: TASK, payload }))),
});
