// Installs graphile-worker's schema into DATABASE_URL (not timed). graphile-worker deletes jobs
// once they complete, so there is no retained history to prefill for W4. With BENCH_UNSERVED=u,
// adds u waiting jobs of a task no bench worker has (one real addJob, copied u times by one
// INSERT ... SELECT generate_series, then removed), due before every bench job.
import { load } from "../lib/packages.mjs";
import { databaseUrl, emit, envInt } from "../lib/proto.mjs";
import { logger, UNSERVED_TASK } from "./options.mjs";

const SCHEMA = "graphile_worker";
const { makeWorkerUtils, runMigrations } = await load("graphile-worker");

await runMigrations({ connectionString: databaseUrl(), logger });

const unserved = envInt("BENCH_UNSERVED", 0);
if (unserved > 0) {
  const utils = await makeWorkerUtils({
    connectionString: databaseUrl(),
    logger,
  });
  const template = await utils.addJob(UNSERVED_TASK, { i: -1, t: 0 });
  await utils.withPgClient(async (client) => {
    await client.query(
      `INSERT INTO ${SCHEMA}._private_jobs (job_queue_id, task_id, payload, priority, run_at,
         attempts, max_attempts, created_at, updated_at, revision, flags)
       SELECT j.job_queue_id, j.task_id, json_build_object('i', g, 't', 0), j.priority,
              j.run_at, j.attempts, j.max_attempts, j.created_at, j.updated_at, j.revision,
              j.flags
         FROM ${SCHEMA}._private_jobs j, generate_series(1, $2::int) g
        WHERE j.id = $1::bigint`,
      [template.id, unserved],
    );
    await client.query(
      `DELETE FROM ${SCHEMA}._private_jobs WHERE id = $1::bigint`,
      [template.id],
    );
  });
  await utils.release();
}
emit("done", { prefilled: unserved });
