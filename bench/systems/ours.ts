import { launcherRuntimeFlags } from "@bfmono/apps/collector/testing/workerProcess.ts";
import { DEFAULT_DATABASE_POOL_SIZE } from "@bfmono/apps/collector/process/config.ts";
import { benchPath, REPO_ROOT, type System } from "./system.ts";
import type { Spawn } from "../lib/proc.ts";
import { connect } from "../lib/db.ts";
import { BENCH_QUEUE, JOB_TYPE, UNSERVED_TYPE } from "../ours/jobTypes.ts";

function denoScript(
  script: string,
  env: Record<string, string>,
  label: string,
  runtimeFlags: string[] = [],
): Spawn {
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      "-A",
      "--quiet",
      ...runtimeFlags,
      benchPath(`ours/${script}`),
    ],
    env,
    label,
    cwd: REPO_ROOT,
  };
}

/** This project: BfJob rows in bfdb, our collector worker in Deno (bench/ours). */
export const ours: System = {
  id: "ours",
  label: "bfmono jobs (ours)",
  historyNote:
    "ours: bfdb holds the depth in completed jobs (bfdb_jobs_completed) plus as many " +
    "nodes of another class (bfdb_nodes), our production shape; the unserved jobs wait in " +
    `bfdb_jobs_active beside the bench's (type "${UNSERVED_TYPE}", same queue, due earlier).`,
  configNote: (c) =>
    `ours: startWorker({ concurrency: ${c} }) from apps/collector/worker/worker.ts, its defaults ` +
    `otherwise, on a pool of ${DEFAULT_DATABASE_POOL_SIZE} connections as \`bft worker\` ` +
    "opens (DATABASE_POOL_SIZE's default); logger at warn; no HTTP server (the peers' bench " +
    "workers serve none either); " +
    `run with the V8 flags infra/bin/bft gives \`bft worker\` (${
      launcherRuntimeFlags().join(" ")
    }).`,
  async unavailable() {
    const needed = [
      "apps/collector/worker/worker.ts",
      "apps/bfDb/nodeTypes/BfJob.ts",
    ];
    for (const rel of needed) {
      try {
        await Deno.stat(`${REPO_ROOT}${rel}`);
      } catch {
        return `${rel} does not exist yet`;
      }
    }
    return undefined;
  },
  setup: (env) => denoScript("setup.ts", env, "ours setup"),
  enqueue: (env) => denoScript("enqueue.ts", env, "ours enqueue"),
  worker: (env) =>
    denoScript("worker.ts", env, "ours worker", launcherRuntimeFlags()),
  saturate: (env) =>
    denoScript("saturate.ts", env, "ours saturate", launcherRuntimeFlags()),
  poolerEnv: (directUrl, listen) => ({
    DATABASE_POOLER: "transaction",
    ...(listen ? { DATABASE_LISTEN_URL: directUrl } : {}),
  }),
  poolerNote:
    "ours behind the pooler: DATABASE_POOLER=transaction (no prepared statement: " +
    "one more round trip per statement); LISTEN on DATABASE_LISTEN_URL (the server itself) in " +
    "the 'LISTEN direct' rows, else no LISTEN and the poll at its default without one " +
    "(500 ms).",
  async limitQueue(url, globalConcurrency) {
    // What `bft queues set default --concurrency N` writes; workers read it when they start.
    const sql = connect(url);
    try {
      await sql`INSERT INTO bfdb_job_queues (queue, global_concurrency)
                VALUES (${BENCH_QUEUE}, ${globalConcurrency})`;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
  async remaining(sql) {
    // Every unfinished job is in bfdb_jobs_active, and only those are; W4's unserved jobs are
    // there too, so count the bench's type only. Waiting ones through the claim index
    // (queue, type, ... WHERE status = 'available'), in-flight ones through the lease index
    // (WHERE status IN ('claimed', 'running')): the status constants are the indexes'
    // predicates, written out so the planner can match them, and the two sets cover every
    // status the table allows. A plain `WHERE type = $1` would scan the unserved rows per poll.
    const rows = await sql`
      SELECT (SELECT count(*) FROM bfdb_jobs_active
               WHERE status = 'available' AND queue = ${BENCH_QUEUE} AND type = ${JOB_TYPE})
           + (SELECT count(*) FROM bfdb_jobs_active
               WHERE status IN ('claimed', 'running') AND type = ${JOB_TYPE}) AS n`;
    return Number(rows[0].n);
  },
};
