// Migrates DATABASE_URL (not timed). With BENCH_DEPTH=n, gives bfdb W4's production shape:
// n completed jobs and n nodes of another class; with BENCH_UNSERVED=u, u waiting jobs of a type
// the bench worker does not serve. Each set is one INSERT ... SELECT generate_series copying the
// columns of a real BfJob.create (so their shape is exactly ours); ids are UUIDv7-shaped with
// past timestamps, like rows created earlier, in disjoint milliseconds per set, with the kind
// bit of apps/bfDb/ids.ts (jobs' variant digit "a", nodes' "8").
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { JOB_TYPE, UNSERVED_TYPE } from "./jobTypes.ts";
import { BENCH_ORG, openBench } from "./open.ts";
import { emit, envInt } from "./proto.ts";

/** The parts of a UUIDv7-shaped id: `ms` (epoch milliseconds) in hex, and randomness. */
const V7_PARTS =
  `lpad(to_hex(ms), 12, '0') AS h, md5(random()::text || g) AS r`;

/** The id itself, from those parts, with the variant digit of its kind ("a" job, "8" node). */
function idExpr(variant: "a" | "8"): string {
  return `substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(r, 1, 3) || '-${variant}' || substr(r, 4, 3) || '-' || substr(r, 7, 12)`;
}
/** A job's id (bfdb_jobs_*). */
const JOB_ID = idExpr("a");
/** A node's id (bfdb_nodes). */
const NODE_ID = idExpr("8");

const depth = envInt("BENCH_DEPTH", 0);
const unserved = envInt("BENCH_UNSERVED", 0);
const cv = await openBench();
/** Every prefilled id's millisecond lies before this one; the sets' ranges do not overlap. */
const baseMs = Date.now();

if (unserved > 0) {
  // Waiting jobs of a type no bench worker registers: they sit in bfdb_jobs_active, available,
  // due before every bench job, for the whole drain. Milliseconds
  // [base - 2·depth - unserved, base - 2·depth).
  const template = await BfJob.create({
    type: UNSERVED_TYPE,
    payload: { i: -1, t: 0 },
  }, cv);
  await bfDb.query(
    `INSERT INTO bfdb_jobs_active (bf_gid, bf_oid, bf_cid, type, queue, status, priority,
       run_at, attempts, max_attempts, payload, sort_value, created_at, last_updated)
     SELECT ${JOB_ID}, j.bf_oid, j.bf_cid, j.type, j.queue, j.status, j.priority, j.run_at,
            j.attempts, j.max_attempts, jsonb_build_object('i', g, 't', 0),
            j.sort_value - $2::bigint + g, j.created_at, j.last_updated
       FROM bfdb_jobs_active j, generate_series(1, $2::bigint) g,
            LATERAL (SELECT $3::bigint - 2 * $4::bigint - $2::bigint - 1 + g AS ms) t,
            LATERAL (SELECT ${V7_PARTS}) v
      WHERE j.bf_gid = $1`,
    [template.id, unserved, baseMs, depth],
  );
  await bfDb.query(`DELETE FROM bfdb_jobs_active WHERE bf_gid = $1`, [
    template.id,
  ]);
}

if (depth > 0) {
  // The history where production keeps it: completed jobs in bfdb_jobs_completed (today's
  // partition), copied from a real job's columns (milliseconds [base - 2·depth, base - depth)),
  // and the other class's nodes in bfdb_nodes ([base - depth, base)).
  const template = await BfJob.create({
    type: JOB_TYPE,
    payload: { i: -1, t: 0 },
  }, cv);
  await bfDb.query(
    `INSERT INTO bfdb_jobs_completed (bf_gid, bf_oid, bf_cid, type, queue, status, priority,
       run_at, attempts, max_attempts, worker_id, started_at, finished_at, payload, sort_value,
       created_at, last_updated)
     SELECT ${JOB_ID}, j.bf_oid, j.bf_cid, j.type, j.queue, $4::text, j.priority, j.run_at,
            1, j.max_attempts, $3::text, now(), now(), jsonb_build_object('i', g, 't', 0),
            j.sort_value - $2::bigint + g, j.created_at, j.last_updated
       FROM bfdb_jobs_active j, generate_series(1, $2::bigint) g,
            LATERAL (SELECT $5::bigint - 2 * $2::bigint - 1 + g AS ms) t,
            LATERAL (SELECT ${V7_PARTS}) v
      WHERE j.bf_gid = $1`,
    [template.id, depth, "bench-history-worker", "completed", baseMs],
  );
  await bfDb.query(`DELETE FROM bfdb_jobs_active WHERE bf_gid = $1`, [
    template.id,
  ]);
  await bfDb.query(
    `INSERT INTO bfdb_nodes (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
     SELECT ${NODE_ID}, $1, $1, $2, jsonb_build_object('name', 'record ' || g, 'n', g), ms
       FROM generate_series(1, $3::bigint) g,
            LATERAL (SELECT $4::bigint - $3::bigint - 1 + g AS ms) t,
            LATERAL (SELECT ${V7_PARTS}) v`,
    [BENCH_ORG, "BenchRecord", depth, baseMs],
  );
}
emit("done", { prefilled: 2 * depth + unserved });
await bfDb.close();
