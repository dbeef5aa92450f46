// What the dashboard's reads cost on a big table (issue 17): 1,000,000 completed jobs spread
// over the last 24 hours, 100,000 failed ones, 20,000 waiting and 200 running, over 5 types,
// 3 queues and 1,000 orgs; each page's reads timed 20 times (median and p95). Run alone:
// `deno run -A bench/dashboardQueries.ts [--completed N]`.
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { PostgresBackend } from "@bfmono/apps/bfDb/storage/PostgresBackend.ts";
import { KNOWN_JOB_TYPES } from "@bfmono/apps/collector/handlers/knownJobTypes.ts";
import { localOperatorCommands } from "@bfmono/apps/collector/ops/operatorCommands.ts";
import { databaseReads } from "@bfmono/apps/collector/web/dashboard/dashboardReads.ts";
import { createFreshDb } from "./lib/db.ts";

const RUNS = 20;
const completedArg = Deno.args.indexOf("--completed");
const COMPLETED = completedArg >= 0
  ? Number(Deno.args[completedArg + 1])
  : 1_000_000;

/** A UUIDv7-shaped job id (variant a) for the instant `t`, unique by `n`, as SQL. */
const GID = (t: string, n: string) =>
  `(SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(h, 13, 3) || '-a' ||
           substr(h, 16, 3) || '-' || substr(h, 19, 12)
    FROM (SELECT lpad(to_hex((extract(epoch FROM ${t}) * 1000)::bigint), 12, '0')
                 || md5(${n}::text) AS h) x)`;

/** Fills `table` with `count` jobs of `status`, finished over the last day (if finished). */
async function fill(
  table: string,
  status: string,
  count: number,
  finished: boolean,
): Promise<void> {
  const t = finished
    ? "now() - (g::float8 / $1) * interval '24 hours'"
    : "now() - (g::float8 / $1) * interval '10 minutes'";
  await bfDb.query(
    `INSERT INTO ${table} (bf_gid, bf_oid, bf_cid, type, queue, status, attempts, payload,
                           error, sort_value, run_at, created_at, last_updated, started_at,
                           finished_at, worker_id, locked_until)
     SELECT ${GID("s.t", `'${status}' || g`)}, 'org_' || (g % 1000), 'bench',
            'type_' || (g % 5), (ARRAY['default', 'emails', 'reports'])[g % 3 + 1], $2,
            CASE WHEN $2 = 'available' THEN 0 ELSE 1 END,
            jsonb_build_object('n', g, 'email', 'user' || g || '@example.com'),
            CASE WHEN $2 = 'failed' THEN 'HTTP 503 from upstream ' || (g % 17) END, g, s.t, s.t,
            s.t, CASE WHEN $2 IN ('available') THEN NULL ELSE s.t END,
            CASE WHEN $3 THEN s.t END,
            CASE WHEN $2 = 'running' THEN 'worker-bench' END,
            CASE WHEN $2 = 'running' THEN now() + interval '1 hour' END
     FROM generate_series(1, $1::int) g CROSS JOIN LATERAL (SELECT ${t} AS t) s`,
    [count, status, finished],
  );
}

function quantile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function time(label: string, read: () => Promise<unknown>) {
  await read();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await read();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  console.log(
    `| ${label} | ${quantile(ms, 0.5).toFixed(1)} ms | ${
      quantile(ms, 0.95).toFixed(1)
    } ms |`,
  );
}

const db = await createFreshDb("dashboard");
const backend = new PostgresBackend(db.url, { maxConnections: 4 });
try {
  await migrate(backend);
  bfDb.use(backend);
  const started = performance.now();
  await bfDb.query(
    "SELECT bfdb_jobs_ensure_day('bfdb_jobs_completed', (now() AT TIME ZONE 'UTC')::date - 1)",
  );
  await bfDb.query(
    "SELECT bfdb_jobs_ensure_day('bfdb_jobs_failed', (now() AT TIME ZONE 'UTC')::date - 1)",
  );
  await fill("bfdb_jobs_completed", "completed", COMPLETED, true);
  await fill("bfdb_jobs_failed", "failed", COMPLETED / 10, true);
  await fill("bfdb_jobs_active", "available", 20_000, false);
  await bfDb.query(
    `UPDATE bfdb_jobs_active SET status = 'running'
     WHERE bf_gid IN (SELECT bf_gid FROM bfdb_jobs_active LIMIT 200)`,
  );
  // What the worker's pruner duty does hourly (autovacuum is off on some servers).
  await bfDb.query(
    `SELECT brin_summarize_new_values(x.indexrelid) FROM pg_inherits p
     JOIN pg_index x ON x.indrelid = p.inhrelid
     JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am a ON a.oid = c.relam
     WHERE a.amname = 'brin'`,
  );
  await bfDb.query("VACUUM ANALYZE");
  console.log(
    `filled ${COMPLETED.toLocaleString("en")} completed, ${
      (COMPLETED / 10).toLocaleString("en")
    } failed, 20,000 waiting, 200 running in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s; ${RUNS} runs each\n`,
  );
  const reads = databaseReads(localOperatorCommands(KNOWN_JOB_TYPES));
  const [{ id: middle }] = await bfDb.query<{ id: string }>(
    `SELECT bf_gid AS id FROM bfdb_jobs_completed ORDER BY bf_gid OFFSET $1 LIMIT 1`,
    [Math.floor(COMPLETED / 2)],
  );
  const [{ id: oneFailed }] = await bfDb.query<{ id: string }>(
    "SELECT bf_gid AS id FROM bfdb_jobs_failed LIMIT 1",
  );
  console.log("| page (reads) | median | p95 |");
  console.log("|---|---|---|");
  await time("overview (all of its reads)", () => reads.overview());
  await time("jobs, no filter, first page", () => reads.jobs({}));
  await time(
    "jobs, no filter, a page in the middle (keyset)",
    () => reads.jobs({ before: middle }),
  );
  await time("jobs, status failed", () => reads.jobs({ status: "failed" }));
  await time(
    "jobs, status completed, type and queue",
    () => reads.jobs({ status: "completed", type: "type_3", queue: "reports" }),
  );
  await time(
    "jobs, org (one of 1,000)",
    () => reads.jobs({ org: "org_7" }),
  );
  await time(
    "jobs, text in payload or error (matches)",
    () => reads.jobs({ text: "user4242" }),
  );
  await time(
    "jobs, status failed, text in error",
    () => reads.jobs({ status: "failed", text: "503 from upstream 16" }),
  );
  await time(
    "jobs, text that matches nothing (reads every job)",
    () => reads.jobs({ text: "no such text" }),
  );
  await time("one job (props and edges)", () => reads.job(oneFailed));
  await time("queues", () => reads.queues());
} finally {
  await bfDb.close();
  await db.drop();
}
