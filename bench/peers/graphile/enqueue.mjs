// Enqueues bench jobs through graphile-worker's WorkerUtils (addJob / addJobs).
import { load } from "../lib/packages.mjs";
import { runEnqueue } from "../lib/enqueue.mjs";
import { databaseUrl } from "../lib/proto.mjs";
import { logger, noPreparedStatements, TASK } from "./options.mjs";

const { makeWorkerUtils } = await load("graphile-worker");

const utils = await makeWorkerUtils({
  connectionString: databaseUrl(),
  logger,
  noPreparedStatements,
});
await runEnqueue({
  warm: () => utils.withPgClient((c) => c.query("select 1")),
  addOne: (payload) => utils.addJob(TASK, payload),
  addMany: (payloads) =>
    utils.addJobs(payloads.map((payload) => ({ identifier: TASK, payload }))),
  close: () => utils.release(),
});
