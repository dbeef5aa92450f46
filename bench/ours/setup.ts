// Migrates DATABASE_URL (not timed). With BENCH_DEPTH=n, gives bfdb W4's production shape:
// n completed jobs and n nodes of another class, each set in one INSERT ... SELECT. The completed
// jobs copy the columns of a real BfJob.create (so their shape is exactly ours), marked
// completed; ids are UUIDv7-shaped with past timestamps, like rows created earlier.
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { BENCH_ORG, JOB_TYPE, openBench } from "./open.ts";
import { emit, envInt } from "./proto.ts";

/** The parts of a UUIDv7-shaped id: `ms` (epoch milliseconds) in hex, and randomness. */
const V7_PARTS =
  `lpad(to_hex(ms), 12, '0') AS h, md5(random()::text || g) AS r`;
/** The id itself, from those parts. */
const ID_EXPR =
  `substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(r, 1, 3) || '-8' || substr(r, 4, 3) || '-' || substr(r, 7, 12)`;

const depth = envInt("BENCH_DEPTH", 0);
const cv = await openBench();

if (depth > 0) {
  // The history where production keeps it: completed jobs in bfdb_jobs_completed (today's
  // partition), copied from a real job's columns, and the other class's nodes in bfdb_nodes.
  const template = await BfJob.create({
    type: JOB_TYPE,
    payload: { i: -1, t: 0 },
  }, cv);
  await bfDb.query(
    `INSERT INTO bfdb_jobs_completed (bf_gid, bf_oid, bf_cid, type, queue, status, priority,
       run_at, attempts, max_attempts, worker_id, started_at, finished_at, payload, sort_value,
       created_at, last_updated)
     SELECT ${ID_EXPR}, j.bf_oid, j.bf_cid, j.type, j.queue, 'completed', j.priority, j.run_at,
            1, j.max_attempts, $3::text, now(), now(), jsonb_build_object('i', g, 't', 0),
            j.sort_value - $2::bigint + g, j.created_at, j.last_updated
       FROM bfdb_jobs_active j, generate_series(1, $2::bigint) g,
            LATERAL (SELECT (extract(epoch FROM now()) * 1000)::bigint - 2 * $2::bigint + g AS ms) t,
            LATERAL (SELECT ${V7_PARTS}) v
      WHERE j.bf_gid = $1`,
    [template.id, depth, "bench-history-worker"],
  );
  await bfDb.query(`DELETE FROM bfdb_jobs_active WHERE bf_gid = $1`, [
    template.id,
  ]);
  await bfDb.query(
    `INSERT INTO bfdb_nodes (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
     SELECT ${ID_EXPR}, $1, $1, $2, jsonb_build_object('name', 'record ' || g, 'n', g), ms
       FROM generate_series(1, $3::bigint) g,
            LATERAL (SELECT (extract(epoch FROM now()) * 1000)::bigint - $3::bigint + g AS ms) t,
            LATERAL (SELECT ${V7_PARTS}) v`,
    [BENCH_ORG, "BenchRecord", depth],
  );
}
emit("done", { prefilled: 2 * depth });
await bfDb.close();
