// One worker draining a backlog inside this process, measured from the inside: jobs/s, the
// worker's CPU per job (this process), the server's CPU per job (the database backends serving
// this process, read from /proc, so the server must run on this machine), WAL bytes per job and
// peak RSS. For before/after comparisons of the worker's hot path, steadier than `deno task
// bench` on a noisy machine: run it for each version in turn, several times, and compare
// medians. The bench figures (beside the peers) stay `deno task bench`'s.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch deno run -A \
//     --v8-flags=--max-semi-space-size=4,--max-old-space-size=1024 bench/drainProfile.ts [--jobs 100000]
//
// The database is emptied of jobs first. Add --cpu-prof to Deno's flags for a CPU profile.
import { parseArgs } from "node:util";
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { defineHandler } from "@bfmono/apps/collector/worker/handler.ts";
import { startWorker } from "@bfmono/apps/collector/worker/worker.ts";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { DEFAULT_DATABASE_POOL_SIZE } from "@bfmono/apps/collector/process/config.ts";
import { BENCH_ORG, migrateBench, useBenchBackend } from "./ours/open.ts";

const { values } = parseArgs({
  options: { jobs: { type: "string", default: "100000" } },
});
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1) {
  throw new Error("--jobs: a positive integer");
}

await useBenchBackend(DEFAULT_DATABASE_POOL_SIZE);
await migrateBench();
await bfDb.query(
  "TRUNCATE bfdb_jobs_active, bfdb_jobs_completed, bfdb_jobs_failed",
);
// Enqueued in one statement, so the producer's own work is not in the figures.
await bfDb.query(
  `INSERT INTO bfdb_jobs_active
     (bf_gid, bf_oid, bf_cid, type, queue, status, priority, run_at, max_attempts, payload, sort_value)
   SELECT lpad(to_hex(g), 8, '0') || '-0000-7000-a000-000000000000', $1, $1, 'noop', 'default',
          'available', 0, now(), 3, jsonb_build_object('i', g), g
   FROM generate_series(1, $2::int) g`,
  [BENCH_ORG, jobs],
);
await bfDb.query("VACUUM ANALYZE bfdb_jobs_active");
await bfDb.query("CHECKPOINT");

let handled = 0;
let drained!: () => void;
const allHandled = new Promise<void>((resolve) => (drained = resolve));
const noop = defineHandler({
  type: "noop",
  schema: z.object({ i: z.number() }),
  process() {
    if (++handled === jobs) drained();
  },
});
const logger = createLogger({
  service: "drainProfile",
  environment: "production",
  level: "warn",
  write: (line) => console.error(line),
});

const [{ lsn }] = await bfDb.query<{ lsn: string }>(
  "SELECT pg_current_wal_lsn()::text AS lsn",
);
const cpu0 = ownCpuSeconds();
const started = performance.now();
const worker = await startWorker({
  handlers: [noop],
  config: { concurrency: 10 },
  logger,
  schedules: [],
});
// The backends serving this process (the pool opens its connections as it needs them; one
// opened later counts whole, since it started during the drain).
const atStart = await backendCpu();
await allHandled;
const seconds = (performance.now() - started) / 1000;
const workerCpu = ownCpuSeconds() - cpu0;
let serverCpu = 0;
for (const [pid, cpu] of await backendCpu()) {
  serverCpu += cpu - (atStart.get(pid) ?? 0);
}
await worker.stop();
const [{ wal }] = await bfDb.query<{ wal: string }>(
  "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS wal",
  [lsn],
);
const peakRss = Number(
  /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1],
) / 1024;
console.log(JSON.stringify({
  jobs,
  jobsPerSec: Math.round(jobs / seconds),
  workerCpuUsPerJob: +(workerCpu / jobs * 1e6).toFixed(1),
  serverCpuUsPerJob: +(serverCpu / jobs * 1e6).toFixed(1),
  walBytesPerJob: Math.round(Number(wal) / jobs),
  peakRssMb: Math.round(peakRss),
}));
await bfDb.close();
Deno.exit(0);

/** utime + stime of a process, in seconds (clock ticks of 1/100 s, Linux's USER_HZ). */
function cpuSecondsOf(pid: number | "self"): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // a backend that ended, or a server on another machine
  }
}

function ownCpuSeconds(): number {
  return cpuSecondsOf("self");
}

/** CPU seconds so far of each backend connected to this database, by pid. */
async function backendCpu(): Promise<Map<number, number>> {
  const rows = await bfDb.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()",
  );
  return new Map(rows.map((r) => [r.pid, cpuSecondsOf(r.pid)]));
}
