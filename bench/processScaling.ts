// Scaling with processes (issue 18): 1, 2, 4 and 8 worker processes draining one backlog
// (jobs/s and server CPU per job), and 50 idle `bft worker` processes: what they cost the server
// per second (transactions and CPU), with and without 200,000 waiting jobs no worker serves.
// Runs on a private PostgreSQL cluster it starts itself (chaos/cluster.ts), so the server's CPU
// is ours alone: read from /proc as the utime+stime of the postmaster's children, plus what the
// postmaster collected from children that exited (its cutime+cstime).
//
//   deno run -A bench/processScaling.ts                     # everything (about 5 minutes)
//   deno run -A bench/processScaling.ts --drain 20000 --idle 0
import { parseArgs } from "node:util";
import postgres from "postgres";
import { PgCluster } from "../chaos/cluster.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { PostgresBackend } from "@bfmono/apps/bfDb/storage/PostgresBackend.ts";
import {
  startWorkerProcess,
  type WorkerProcess,
} from "@bfmono/apps/collector/testing/workerProcess.ts";
import { FULL } from "./lib/config.ts";
import { settle } from "./lib/db.ts";
import { BenchProcess } from "./lib/proc.ts";
import { ours } from "./systems/ours.ts";
import type { RunContext } from "./workloads/context.ts";
import {
  benchEnv,
  enqueue,
  go,
  handled,
  setupSystem,
  spawnWorkers,
  stopWorkers,
} from "./workloads/steps.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    drain: { type: "string", default: "40000" },
    processes: { type: "string", default: "1,2,4,8" },
    idle: { type: "string", default: "50" },
    window: { type: "string", default: "30" },
    unserved: { type: "string", default: "200000" },
  },
});
const DRAIN = Number(values.drain);
const PROCESSES = values.processes!.split(",").map(Number).filter((n) => n > 0);
const IDLE = Number(values.idle);
const WINDOW_S = Number(values.window);
const UNSERVED = Number(values.unserved);

/** Clock ticks per second of /proc's CPU times. */
const TICKS = Number(
  new TextDecoder().decode(
    new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync().stdout,
  ).trim(),
) || 100;

/** utime, stime, cutime, cstime and ppid of a process from /proc/<pid>/stat. */
function procStat(pid: number) {
  const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // The command name may hold spaces; fields after its closing parenthesis are fixed.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    ppid: Number(fields[1]),
    utime: Number(fields[11]),
    stime: Number(fields[12]),
    cutime: Number(fields[13]),
    cstime: Number(fields[14]),
  };
}

/** CPU seconds the server has used so far: live children, the reaped ones, the postmaster. */
function serverCpuSeconds(postmaster: number): number {
  const own = procStat(postmaster);
  let ticks = own.utime + own.stime + own.cutime + own.cstime;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const s = procStat(Number(entry.name));
      if (s.ppid === postmaster) ticks += s.utime + s.stime;
    } catch {
      // exited meanwhile: its time is in the postmaster's cutime/cstime from now on
    }
  }
  return ticks / TICKS;
}

function postmasterPid(cluster: PgCluster): number {
  return Number(
    Deno.readTextFileSync(`${cluster.dataDir}/postmaster.pid`).split("\n")[0],
  );
}

async function createDatabase(
  cluster: PgCluster,
  name: string,
): Promise<string> {
  const admin = postgres(cluster.url(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = cluster.url(name);
  const backend = new PostgresBackend(url, { maxConnections: 1 });
  try {
    await migrate(backend);
  } finally {
    await backend.close();
  }
  return url;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface DrainFigure {
  processes: number;
  jobsPerSec: number;
  serverCpuMsPerJob: number;
  serverCpuPercent: number;
}

/** N worker processes (bench/ours/worker.ts, `bft worker`'s pool) drain DRAIN no-op jobs. */
async function drain(
  cluster: PgCluster,
  processes: number,
): Promise<DrainFigure> {
  const url = await createDatabase(cluster, `scale_drain_${processes}`);
  const ctx: RunContext = { system: ours, sizes: FULL, url, verbose: false };
  await setupSystem(ctx);
  await enqueue(ctx, "batch", DRAIN);
  await settle(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const workers = await spawnWorkers(ctx, processes, { BENCH_MODE: "drain" });
  const pm = postmasterPid(cluster);
  try {
    const cpuBefore = serverCpuSeconds(pm);
    const { start } = await go(workers);
    let end = 0;
    while (end === 0) {
      const dead = workers.find((w) => w.exited);
      if (dead) throw new Error(`${dead.label} exited:\n${dead.stderrTail}`);
      const done = workers.reduce((sum, w) => sum + handled(w), 0);
      if (done >= DRAIN * 0.9 && await ours.remaining(sql) === 0) {
        end = performance.timeOrigin + performance.now();
      } else await sleep(10);
    }
    const cpu = serverCpuSeconds(pm) - cpuBefore;
    const seconds = (end - start) / 1000;
    return {
      processes,
      jobsPerSec: DRAIN / seconds,
      serverCpuMsPerJob: (cpu * 1000) / DRAIN,
      serverCpuPercent: (cpu / seconds) * 100,
    };
  } finally {
    await stopWorkers(workers);
    await sql.end();
    // Gone before the next run, so its autovacuum does not land in the next figures.
    await dropDatabase(cluster, `scale_drain_${processes}`);
  }
}

async function dropDatabase(cluster: PgCluster, name: string): Promise<void> {
  const admin = postgres(cluster.url(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

interface IdleFigure {
  label: string;
  xactPerSec: number;
  serverCpuPercent: number;
  waiting: number;
}

/** Transactions committed in `url`'s database and server CPU over WINDOW_S seconds. */
async function idleWindow(
  cluster: PgCluster,
  url: string,
  label: string,
): Promise<IdleFigure> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const pm = postmasterPid(cluster);
  try {
    const commits = async () => {
      // Statistics reach pg_stat_database within about a second; a new snapshot each time.
      await sql`SELECT pg_stat_clear_snapshot()`;
      const [row] = await sql`
        SELECT xact_commit::float8 AS n FROM pg_stat_database
         WHERE datname = current_database()`;
      return Number(row.n);
    };
    const [{ waiting }] = await sql`
      SELECT count(*)::int AS waiting FROM bfdb_jobs_active WHERE status = 'available'`;
    const x0 = await commits();
    const c0 = serverCpuSeconds(pm);
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = serverCpuSeconds(pm) - c0;
    // Two of those transactions per read are ours (the snapshot clear and the read).
    const x = (await commits()) - x0 - 2;
    return {
      label,
      xactPerSec: x / seconds,
      serverCpuPercent: (cpu / seconds) * 100,
      waiting: Number(waiting),
    };
  } finally {
    await sql.end();
  }
}

/** IDLE real `bft worker` processes with their defaults, idle, then beside UNSERVED jobs. */
async function idle(cluster: PgCluster): Promise<IdleFigure[]> {
  const url = await createDatabase(cluster, "scale_idle");
  const workers: WorkerProcess[] = [];
  const figures: IdleFigure[] = [];
  try {
    figures.push(await idleWindow(cluster, url, "no worker (baseline)"));
    // A few at a time: 50 Deno processes starting at once starve each other on 2 cores.
    for (let i = 0; i < IDLE; i += 5) {
      workers.push(
        ...await Promise.all(
          Array.from(
            { length: Math.min(5, IDLE - i) },
            (_, k) =>
              startWorkerProcess({
                databaseUrl: url,
                name: `idle worker ${i + k + 1}`,
                env: { LOG_LEVEL: "warn" },
                waitUntilReady: false,
              }),
          ),
        ),
      );
    }
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      for (let waited = 0;; waited += 500) {
        const [{ n }] = await sql`SELECT count(*)::int AS n FROM bfdb_workers`;
        if (Number(n) >= IDLE) break;
        const dead = workers.find((w) => w.exit !== undefined);
        if (dead) throw new Error(`${dead.name} exited:\n${dead.tail()}`);
        if (waited > 300_000) throw new Error(`only ${n} workers registered`);
        await sleep(500);
      }
    } finally {
      await sql.end();
    }
    await sleep(10_000); // past every duty's first run
    figures.push(await idleWindow(cluster, url, `${IDLE} idle workers`));
    const ctx: RunContext = { system: ours, sizes: FULL, url, verbose: false };
    const setup = BenchProcess.start(
      ours.setup(benchEnv(ctx, { BENCH_UNSERVED: UNSERVED })),
    );
    await setup.waitFor((e) => e.event === "done", 600_000);
    await setup.wait(60_000);
    await settle(url);
    await sleep(10_000);
    figures.push(
      await idleWindow(
        cluster,
        url,
        `${IDLE} idle workers, ${
          UNSERVED.toLocaleString("en")
        } unserved jobs waiting`,
      ),
    );
    return figures;
  } finally {
    for (const w of workers) w.kill("SIGTERM");
    await Promise.all(
      workers.map((w) => w.waitForExit(60_000).catch(() => w.kill("SIGKILL"))),
    );
    await Promise.all(workers.map((w) => w[Symbol.asyncDispose]()));
  }
}

const cluster = await PgCluster.create({
  maxConnections: Math.max(100, IDLE * 5 + 50),
  log: (line) => console.error(line),
});
Deno.addSignalListener("SIGINT", () => {
  cluster.destroySync();
  Deno.exit(130);
});
try {
  const started = new Date().toISOString();
  const drains: DrainFigure[] = [];
  for (const n of PROCESSES) {
    console.error(`draining ${DRAIN} jobs with ${n} worker process(es) ...`);
    const figure = await drain(cluster, n);
    console.error(JSON.stringify(figure));
    drains.push(figure);
  }
  const idles = IDLE > 0 ? await idle(cluster) : [];
  for (const f of idles) console.error(JSON.stringify(f));
  const lines = [
    `Process scaling, ${started} (private cluster, ${
      Deno.loadavg()[0].toFixed(2)
    } load at end)`,
    "",
    `| worker processes | jobs/s (${
      DRAIN.toLocaleString("en")
    } no-op jobs) | server CPU per job | server CPU |`,
    "| ---: | ---: | ---: | ---: |",
    ...drains.map((d) =>
      `| ${d.processes} | ${Math.round(d.jobsPerSec).toLocaleString("en")} | ${
        d.serverCpuMsPerJob.toFixed(3)
      } ms | ${Math.round(d.serverCpuPercent)}% |`
    ),
    "",
    "| idle | transactions/s | server CPU | waiting jobs |",
    "| --- | ---: | ---: | ---: |",
    ...idles.map((f) =>
      `| ${f.label} | ${f.xactPerSec.toFixed(1)} | ${
        f.serverCpuPercent.toFixed(1)
      }% | ${f.waiting.toLocaleString("en")} |`
    ),
  ];
  console.log(lines.join("\n"));
  console.log(JSON.stringify({ started, drains, idles }));
} finally {
  await cluster.destroy();
}
