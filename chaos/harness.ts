/**
 * Runs one chaos scenario end to end: a fresh database on the private cluster, a fake PostHog,
 * two real `bft worker` processes and a steady producer; a baseline, the scenario's fault, an
 * observation window, a drain; then SIGTERM to every worker and the accounting and checks.
 *
 * @example
 * ```ts
 * const result = await runScenario(crash, { cluster, quick: true, logDir, signal });
 * result.ok;
 * ```
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { openBackend } from "@bfmono/apps/bfDb/storage/openBackend.ts";
import type { PgCluster } from "./cluster.ts";
import { FakePostHog } from "@bfmono/apps/collector/testing/fakePostHog.ts";
import { Producer, type ProducerStats } from "./producer.ts";
import {
  account,
  type ConnectionFault,
  type Duplicate,
  latency,
  readJobs,
  statusCounts,
} from "./reconcile.ts";
import { recovery, type Throughput } from "./throughput.ts";
import { WorkerFleet, type WorkerProcess } from "./workers.ts";

/** The role workers, producer and idle clients connect as (not a superuser). */
export const APP_ROLE = "chaos";

/** Settings every chaos worker runs with: short leases, so recovery is quick. */
export const WORKER_SETTINGS = {
  WORKER_CONCURRENCY: "10",
  JOB_TIMEOUT_MS: "15000",
  JOB_LEASE_MS: "2000",
  WORKER_POLL_INTERVAL_MS: "500",
  WORKER_SHUTDOWN_GRACE_MS: "10000",
  HEALTH_CHECK_PORT: "0",
  POSTHOG_API_KEY: "phc_chaos",
  DENO_ENV: "test",
  LOG_LEVEL: "info",
} as const;

const LEASE_MS = Number(WORKER_SETTINGS.JOB_LEASE_MS);
const GRACE_MS = Number(WORKER_SETTINGS.WORKER_SHUTDOWN_GRACE_MS);
const RATE_PER_SECOND = 50;
const READY_TIMEOUT_MS = 45_000;

/** What a scenario does between the baseline and the observation window. */
export interface Scenario {
  id: number;
  /** Short name for `--only` output and file names. */
  key: string;
  /** One line for the table. */
  title: string;
  /** The fake's answer delay (ms) while the scenario runs; default 25. */
  fakeDelayMs?: number;
  /** Injects the fault; must call `ctx.faultStart()` and `ctx.faultEnd()`. */
  inject(ctx: ScenarioContext): Promise<void>;
}

/** One named pass/fail check. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** What a scenario's `inject` can use. */
export interface ScenarioContext {
  readonly quick: boolean;
  readonly cluster: PgCluster;
  readonly fleet: WorkerFleet;
  readonly fake: FakePostHog;
  /** Superuser connection to the scenario's database. */
  readonly admin: postgres.Sql;
  /** The scenario's database. */
  readonly database: string;
  readonly leaseMs: number;
  readonly graceMs: number;
  readonly signal: AbortSignal;
  /** `full` ms normally, `quick` ms with --quick. */
  duration(full: number, quick: number): number;
  /** Sleeps `ms`, or throws when the run is aborted. */
  sleep(ms: number): Promise<void>;
  faultStart(): void;
  faultEnd(): void;
  /** Records that workers' connections were cut in [start, end] (explains re-runs). */
  connectionFault(start: number, end: number, what: string): void;
  /** Starts (or restarts) the worker in `slot` and waits for it to be ready. */
  startWorker(slot: string): Promise<WorkerProcess>;
  /** A timeline entry. */
  event(what: string): void;
  /** A line for the report's notes. */
  note(text: string): void;
  /** A scenario-specific check. */
  check(name: string, ok: boolean, detail?: string): void;
  /** Runs `fn` at the end of the scenario, whatever happens. */
  defer(fn: () => Promise<unknown> | unknown): void;
  /**
   * Keeps about `target` jobs waiting besides the steady rate, so the workers run flat out;
   * call the returned function to stop.
   */
  saturate(target: number): () => Promise<void>;
}

/** How a run is set up. */
export interface RunOptions {
  cluster: PgCluster;
  quick: boolean;
  /** Worker logs go here. */
  logDir: string;
  signal: AbortSignal;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** A worker process as the report shows it. */
export interface WorkerSummary {
  name: string;
  workerId: string | null;
  logFile: string;
  exit: { code: number; signal: string | null; cause: string | null } | null;
  problems: Record<string, number>;
}

/** Everything one scenario produced. */
export interface ScenarioResult {
  id: number;
  key: string;
  title: string;
  quick: boolean;
  ok: boolean;
  /** Set when the scenario could not run to the end. */
  error: string | null;
  enqueued: number;
  delivered: number;
  lost: number;
  lostIds: string[];
  extraDeliveries: number;
  duplicates: Duplicate[];
  unexplainedDuplicates: number;
  notCompleted: number;
  notCompletedRows: { id: string; type: string; status: string }[];
  statusCounts: Record<string, number>;
  throughput: Throughput | null;
  /** Enqueue-to-settle ms of track_usage jobs. */
  latency: ReturnType<typeof latency>;
  exitedOnTheirOwn: string[];
  producer: ProducerStats;
  workers: WorkerSummary[];
  checks: Check[];
  notes: string[];
  /** Seconds from the producer's start, and what happened. */
  timeline: { t: number; what: string }[];
  durationMs: number;
}

class Aborted extends Error {
  override name = "Aborted";
}

/** Creates the application role once per cluster. */
export async function prepareCluster(cluster: PgCluster): Promise<void> {
  const sql = postgres(cluster.url(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE ROLE ${APP_ROLE} LOGIN`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `scenario` once; never throws (a failure to run is a failed result). */
export async function runScenario(
  scenario: Scenario,
  options: RunOptions,
): Promise<ScenarioResult> {
  const { cluster, quick, signal } = options;
  const log = options.log ?? (() => {});
  const began = Date.now();
  const database = `chaos_${scenario.id}_${
    crypto.randomUUID().replaceAll("-", "").slice(0, 8)
  }`;
  const checks: Check[] = [];
  const notes: string[] = [];
  const events: { at: number; what: string }[] = [];
  const deferred: (() => Promise<unknown> | unknown)[] = [];
  const connectionFaults: ConnectionFault[] = [];
  let faultStartAt: number | undefined;
  let faultEndAt: number | undefined;
  let error: string | null = null;

  const superuser = postgres(cluster.url(), {
    max: 1,
    onnotice: () => {},
    connect_timeout: 5,
  });
  await withTimeout(
    superuser.unsafe(`CREATE DATABASE ${database} OWNER ${APP_ROLE}`),
    30_000,
    "CREATE DATABASE",
  );
  await superuser.end({ timeout: 5 });
  const admin = postgres(cluster.url(database), {
    max: 3,
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 5,
    connection: { application_name: "chaos_admin" },
  });
  const fake = await FakePostHog.start({ delayMs: scenario.fakeDelayMs ?? 25 });
  const fleet = new WorkerFleet({
    env: {
      ...WORKER_SETTINGS,
      DATABASE_URL: cluster.url(database, APP_ROLE),
      POSTHOG_HOST: fake.url,
    },
    logDir: options.logDir,
    label: `s${scenario.id}-${scenario.key}`,
    onSpawn: (pid) => cluster.recordWorkerPid(pid),
  });
  const backend = await openBackend({
    databaseUrl: `${
      cluster.url(database, APP_ROLE)
    }?application_name=chaos_producer`,
    maxConnections: 4,
  });
  bfDb.use(backend);
  const producer = new Producer({
    ratePerSecond: RATE_PER_SECOND,
    cv: CurrentViewer.forOrg("chaos"),
  });

  const abortable = (ms: number) => {
    if (signal.aborted) return Promise.reject(new Aborted("aborted"));
    return sleep(ms, undefined, { signal }).catch(() => {
      throw new Aborted("aborted");
    });
  };
  const event = (what: string) => {
    events.push({ at: Date.now(), what });
    log(`  [s${scenario.id}] ${what}`);
  };
  const ctx: ScenarioContext = {
    quick,
    cluster,
    fleet,
    fake,
    admin,
    database,
    leaseMs: LEASE_MS,
    graceMs: GRACE_MS,
    signal,
    duration: (full, short) => quick ? short : full,
    sleep: abortable,
    faultStart: () => {
      faultStartAt = Date.now();
      event("fault starts");
    },
    faultEnd: () => {
      faultEndAt = Date.now();
      event("fault over");
    },
    connectionFault: (start, end, what) =>
      connectionFaults.push({ start, end, what }),
    startWorker: async (slot) => {
      const proc = fleet.start(slot);
      await Promise.race([
        proc.ready(READY_TIMEOUT_MS),
        abortable(READY_TIMEOUT_MS + 1_000),
      ]);
      event(`worker ${proc.name} ready (${proc.workerId})`);
      return proc;
    },
    event,
    note: (text) => notes.push(text),
    check: (name, ok, detail = "") => checks.push({ name, ok, detail }),
    defer: (fn) => deferred.push(fn),
    saturate: (target) => producer.saturate(target),
  };

  let rows: Awaited<ReturnType<typeof readJobs>> = [];
  let counts: Record<string, number> = {};
  let stoppedCleanly: WorkerProcess[] = [];
  try {
    await withTimeout(migrate(backend), 30_000, "migrate");
    await Promise.all([ctx.startWorker("a"), ctx.startWorker("b")]);
    producer.start();
    event("producer started");
    await abortable(ctx.duration(15_000, 5_000));
    await scenario.inject(ctx);
    if (faultStartAt === undefined || faultEndAt === undefined) {
      throw new Error("the scenario did not mark its fault's start and end");
    }
    await abortable(ctx.duration(20_000, 6_000));
    await producer.stop(ctx.duration(60_000, 30_000));
    event("producer stopped");
    await drain(ctx, ctx.duration(90_000, 30_000));
    event("drained");
    stoppedCleanly = await fleet.stopAll(GRACE_MS + 15_000);
    event("workers stopped (SIGTERM)");
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
    event(`error: ${error}`);
  } finally {
    for (const fn of deferred.reverse()) {
      try {
        await withTimeout(Promise.resolve(fn()), 30_000, "scenario cleanup");
      } catch (caught) {
        notes.push(`cleanup failed: ${String(caught)}`);
      }
    }
    await withTimeout(producer.stop(), 70_000, "producer stop").catch(() => {});
    if (fleet.alive().length > 0) {
      // A failed run: end what is left, bounded, then make sure.
      await fleet.stopAll(GRACE_MS + 5_000).catch(() => {});
      fleet.killAll();
    }
    await fleet.settled(10_000);
  }

  try {
    rows = await withTimeout(readJobs(admin), 30_000, "reading job rows");
    counts = await withTimeout(statusCounts(admin), 30_000, "ops query");
  } catch (caught) {
    error ??= `could not read the job table: ${String(caught)}`;
  }
  await admin.end({ timeout: 5 }).catch(() => {});
  await bfDb.close().catch(() => {});
  await fake.stop().catch(() => {});

  const acc = account(rows, fake, {
    killedWorkerIds: fleet.killedWorkerIds(),
    connectionFaults,
    marginMs: 15_000,
  });
  const producerStats = producer.stats;
  const throughput = faultStartAt !== undefined && faultEndAt !== undefined &&
      producer.startedAt > 0
    ? recovery(fake.firstReceipts(), {
      from: producer.startedAt + 2_000,
      faultStart: faultStartAt,
      faultEnd: faultEndAt,
      until: producer.stoppedAt || Date.now(),
    })
    : null;
  const exitedOnTheirOwn = fleet.exitedOnTheirOwn().map((p) =>
    `${p.name} exited with ${p.ended!.signal ?? `code ${p.ended!.code}`}`
  );
  const unexplained = acc.duplicates.filter((d) => d.explainedBy === null);

  const base: Check[] = [
    {
      name: "ran to the end",
      ok: error === null,
      detail: error ?? "",
    },
    {
      name: "no job lost",
      ok: acc.lost.length === 0 && rows.length > 0,
      detail: acc.lost.length
        ? `${acc.lost.length} never delivered, e.g. ${
          acc.lost.slice(0, 3).join(", ")
        }`
        : rows.length === 0
        ? "no job rows at all"
        : "",
    },
    {
      name: "every job completed",
      ok: acc.notCompleted.length === 0,
      detail: acc.notCompleted.slice(0, 3).map((r) =>
        `${r.id} ${r.type} ${r.status}`
      )
        .join("; "),
    },
    {
      name: "duplicates only for killed workers",
      ok: unexplained.length === 0,
      detail: unexplained.slice(0, 3).map((d) =>
        `${d.id}: ${d.deliveries} deliveries, attempts ${d.attempts}`
      ).join("; "),
    },
    {
      name: "no worker exited on its own",
      ok: exitedOnTheirOwn.length === 0,
      detail: exitedOnTheirOwn.join("; "),
    },
    {
      name: "SIGTERM at the end: every worker exited 0",
      ok: error === null && stoppedCleanly.length > 0 &&
        stoppedCleanly.every((p) =>
          p.ended?.code === 0 && p.ended.signal === null
        ),
      detail: stoppedCleanly.filter((p) => p.ended?.code !== 0).map((p) =>
        `${p.name}: ${p.ended?.signal ?? `code ${p.ended?.code}`}`
      ).join("; "),
    },
    {
      name: "throughput back to baseline",
      ok: throughput?.recoverySeconds != null,
      detail: throughput
        ? `baseline ${throughput.baseline}/s; recovered ${
          throughput.recoverySeconds ?? "never"
        }`
        : "no fault window",
    },
    {
      name: "every create settled before the drain",
      ok: producerStats.unsettledAtStop === 0,
      detail: producerStats.unsettledAtStop
        ? `${producerStats.unsettledAtStop} create(s) still unanswered 60 s after the producer stopped`
        : "",
    },
    {
      name: "every create that returned is in the table",
      ok: acc.enqueued >= producerStats.ok &&
        acc.enqueued <=
          producerStats.ok + producerStats.failed + producerStats.timedOut,
      detail:
        `rows ${acc.enqueued}; creates ok ${producerStats.ok}, failed ${producerStats.failed}, ` +
        `timed out ${producerStats.timedOut}`,
    },
    {
      name: "the fake saw only real jobs",
      ok: acc.unknownUuids === 0 && fake.malformed === 0,
      detail:
        `${acc.unknownUuids} unknown uuids, ${fake.malformed} malformed requests`,
    },
  ];
  const allChecks = [...base, ...checks];
  const origin = producer.startedAt || began;
  return {
    id: scenario.id,
    key: scenario.key,
    title: scenario.title,
    quick,
    ok: allChecks.every((c) => c.ok),
    error,
    enqueued: acc.enqueued,
    delivered: acc.delivered,
    lost: acc.lost.length,
    lostIds: acc.lost.slice(0, 50),
    extraDeliveries: acc.extraDeliveries,
    duplicates: acc.duplicates,
    unexplainedDuplicates: unexplained.length,
    notCompleted: acc.notCompleted.length,
    notCompletedRows: acc.notCompleted.slice(0, 50),
    statusCounts: counts,
    throughput,
    latency: latency(rows.filter((r) => r.type === "track_usage")),
    exitedOnTheirOwn,
    producer: producerStats,
    workers: fleet.history.map((p) => ({
      name: p.name,
      workerId: p.workerId ?? null,
      logFile: p.logFile,
      exit: p.ended
        ? { code: p.ended.code, signal: p.ended.signal, cause: p.ended.cause }
        : null,
      problems: Object.fromEntries(p.problems),
    })),
    checks: allChecks,
    notes,
    timeline: events.map((e) => ({
      t: Math.round((e.at - origin) / 100) / 10,
      what: e.what,
    })),
    durationMs: Date.now() - began,
  };
}

/** Waits until no job is available, claimed or running (bounded by `timeoutMs`). */
async function drain(ctx: ScenarioContext, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let open = -1;
  while (Date.now() < deadline) {
    try {
      const [row] = await withTimeout(
        ctx.admin.unsafe<{ open: number }[]>(
          `SELECT count(*)::int AS open FROM bfdb
           WHERE class_name = 'BfJob' AND props->>'status' IN ('available', 'claimed', 'running')`,
        ),
        10_000,
        "drain query",
      );
      open = row.open;
      if (open === 0) return;
    } catch {
      // the server may still be coming back
    }
    await ctx.sleep(250);
  }
  throw new Error(
    `jobs did not drain within ${timeoutMs} ms (${open} still open)`,
  );
}
