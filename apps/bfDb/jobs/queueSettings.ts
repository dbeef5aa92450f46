import { bfDb } from "../bfDb.ts";
import { isPlainName } from "../names.ts";
import type { BfRow } from "../classes/nodeRow.ts";
import { claimJobsQuery, DEFAULT_LEASE_MS } from "./claimJobs.ts";
import { type JobColumns, jobRowFromColumns } from "./jobColumns.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs. */
export const performs: readonly JobTransition[] = ["claim", "claimAndStart"];

/** The NOTIFY channel queue settings changes signal on; the payload is the queue's name. */
export const QUEUE_CHANNEL = "bfdb_queues";

/** A queue's settings, shared by every worker through `bfdb_job_queues`. */
export interface QueueSettings {
  queue: string;
  /** A paused queue starts nothing new; its running jobs finish. */
  paused: boolean;
  /** Jobs of the queue claimed or running at once, across every worker; null: no limit. */
  globalConcurrency: number | null;
  /** At most `count` starts in any window of `periodMs`; null: no limit. */
  rateLimit: { count: number; periodMs: number } | null;
  /** Orgs with waiting jobs take turns (within a priority), so one org's backlog starves no other. */
  fairByOrg: boolean;
}

/** What `setQueueSettings` changes: absent fields stay, null removes a limit. */
export type QueueSettingsPatch = Partial<Omit<QueueSettings, "queue">>;

/** Whether `settings` hold the queue back at all (a queue without any needs no row). */
export function isManaged(settings: QueueSettings): boolean {
  return settings.paused || settings.globalConcurrency !== null ||
    settings.rateLimit !== null || settings.fairByOrg;
}

/** The longest queue name. */
export const MAX_QUEUE_NAME_LENGTH = 200;

/** Checks a queue name: 1-200 characters, no control characters or surrounding spaces. */
export function checkQueueName(name: unknown, field = "queue"): string {
  if (!isPlainName(name, MAX_QUEUE_NAME_LENGTH)) {
    throw new TypeError(
      `${field} must be 1 to ${MAX_QUEUE_NAME_LENGTH} characters, without control characters or surrounding spaces`,
    );
  }
  return name;
}

interface QueueRow {
  queue: string;
  paused: boolean;
  global_concurrency: number | null;
  rate_count: number | null;
  rate_period_ms: number | string | null;
  fair_by_org: boolean;
}

function settingsOf(row: QueueRow): QueueSettings {
  return {
    queue: row.queue,
    paused: row.paused,
    globalConcurrency: row.global_concurrency,
    rateLimit: row.rate_count === null
      ? null
      : { count: row.rate_count, periodMs: Number(row.rate_period_ms) },
    fairByOrg: row.fair_by_org,
  };
}

/** The settings of every queue that has any (others are unlimited and running). */
export async function listQueueSettings(): Promise<QueueSettings[]> {
  const rows = await bfDb.query<QueueRow>(
    `SELECT queue, paused, global_concurrency, rate_count, rate_period_ms, fair_by_org
     FROM bfdb_job_queues ORDER BY queue`,
  );
  return rows.map(settingsOf);
}

/**
 * Changes queue `name`'s settings in one statement (a queue left with none loses its row, and
 * with it every check on its claims) and tells every worker on {@linkcode QUEUE_CHANNEL}.
 * Returns the settings now in force.
 */
export async function setQueueSettings(
  name: string,
  patch: QueueSettingsPatch,
): Promise<QueueSettings> {
  checkQueueName(name);
  const { paused, globalConcurrency, rateLimit, fairByOrg } = patch;
  if (paused !== undefined && typeof paused !== "boolean") {
    throw new TypeError("paused must be true or false");
  }
  if (fairByOrg !== undefined && typeof fairByOrg !== "boolean") {
    throw new TypeError("fairByOrg must be true or false");
  }
  if (
    globalConcurrency !== undefined && globalConcurrency !== null &&
    (!Number.isInteger(globalConcurrency) || globalConcurrency < 0 ||
      globalConcurrency > 1_000_000)
  ) {
    throw new RangeError(
      "globalConcurrency must be a whole number from 0 to 1000000, or null for no limit",
    );
  }
  if (
    rateLimit !== undefined && rateLimit !== null &&
    (!Number.isInteger(rateLimit.count) || rateLimit.count < 1 ||
      rateLimit.count > 10_000 || !Number.isInteger(rateLimit.periodMs) ||
      rateLimit.periodMs < 1 || rateLimit.periodMs > 86_400_000)
  ) {
    throw new RangeError(
      "rateLimit must be { count: 1 to 10000, periodMs: 1 to 86400000 }, or null for no limit",
    );
  }
  // The index fair claims read is there before any claim is fair, and goes once none is.
  if (fairByOrg === true) await changeFairIndex(name, "build");
  const settings = await bfDb.transaction(async () => {
    const [row] = await bfDb.query<QueueRow>(
      `INSERT INTO bfdb_job_queues AS q (queue, paused, global_concurrency, rate_count,
                                         rate_period_ms, fair_by_org)
       VALUES ($1, COALESCE($2::boolean, false),
               CASE WHEN $3::boolean THEN $4::int END,
               CASE WHEN $5::boolean THEN $6::int END,
               CASE WHEN $5::boolean THEN $7::bigint END,
               COALESCE($8::boolean, false))
       ON CONFLICT (queue) DO UPDATE SET
         paused = COALESCE($2::boolean, q.paused),
         global_concurrency = CASE WHEN $3::boolean THEN $4::int ELSE q.global_concurrency END,
         rate_count = CASE WHEN $5::boolean THEN $6::int ELSE q.rate_count END,
         rate_period_ms = CASE WHEN $5::boolean THEN $7::bigint ELSE q.rate_period_ms END,
         fair_by_org = COALESCE($8::boolean, q.fair_by_org),
         updated_at = now()
       RETURNING queue, paused, global_concurrency, rate_count, rate_period_ms, fair_by_org`,
      [
        name,
        paused ?? null,
        globalConcurrency !== undefined,
        globalConcurrency ?? null,
        rateLimit !== undefined,
        rateLimit?.count ?? null,
        rateLimit?.periodMs ?? null,
        fairByOrg ?? null,
      ],
    );
    // A queue left without settings loses its row, and with it every check on its claims.
    await bfDb.query(
      `DELETE FROM bfdb_job_queues WHERE queue = $1 AND NOT paused
         AND global_concurrency IS NULL AND rate_count IS NULL AND NOT fair_by_org`,
      [name],
    );
    await bfDb.query("SELECT pg_notify($1, $2)", [QUEUE_CHANNEL, name]);
    return settingsOf(row);
  });
  if (fairByOrg === false) await changeFairIndex(name, "drop");
  return settings;
}

/**
 * Builds or drops the index of queue `queue`'s waiting jobs by org that its fair claims read
 * (migration 008). On PostgreSQL outside a transaction it is built and dropped CONCURRENTLY, so
 * producers and workers go on meanwhile; a build interrupted before leaves an invalid index,
 * which is dropped and built again.
 */
async function changeFairIndex(
  queue: string,
  change: "build" | "drop",
): Promise<void> {
  const concurrently = bfDb.backend.kind === "postgres" && !bfDb.inTransaction;
  const ddl = async (fn: string) => {
    const [{ text }] = await bfDb.query<{ text: string }>(
      `SELECT ${fn}($1, $2) AS text`,
      [queue, concurrently],
    );
    await bfDb.query(text);
  };
  if (change === "drop") return await ddl("bfdb_job_fair_index_drop_ddl");
  const [existing] = await bfDb.query<{ valid: boolean }>(
    `SELECT indisvalid AS valid FROM pg_index
     WHERE indexrelid = to_regclass(bfdb_job_fair_index_name($1))`,
    [queue],
  );
  if (existing?.valid) return;
  if (existing) await ddl("bfdb_job_fair_index_drop_ddl");
  await ddl("bfdb_job_fair_index_ddl");
}

/** What one claim of a managed queue found: the jobs, and why it took fewer than asked. */
export interface ManagedClaim {
  rows: BfRow[];
  heldBackBy: "paused" | "concurrency" | "rate" | null;
}

/**
 * Claims up to `limit` jobs of `types` from a queue that has settings, straight to running, in
 * one statement: it first takes the queue's row lock and the room its limits leave
 * (`bfdb_job_queue_room`, which counts in flight and recent starts in snapshots taken after the
 * lock), so every claim of the queue waits for the one before it and the limits hold exactly
 * whatever the number of workers. A queue that lost its settings meanwhile is claimed as an
 * unlimited one.
 */
export async function claimManagedQueue(
  workerId: string,
  queue: string,
  types: readonly string[],
  options: { limit: number; leaseMs?: number; fair?: boolean },
): Promise<ManagedClaim> {
  const query = claimJobsQuery(
    workerId,
    types.map((type) => ({ queue, type })),
    {
      limit: options.limit,
      startCount: options.limit,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      managed: true,
      fair: options.fair === true,
    },
  );
  if (!query) return { rows: [], heldBackBy: null };
  const [answer] = await bfDb.query<{
    held_back: ManagedClaim["heldBackBy"];
    jobs: (JobColumns & { n: number })[] | string;
  }>(query.text, query.params);
  const jobs = typeof answer.jobs === "string"
    ? JSON.parse(answer.jobs) as (JobColumns & { n: number })[]
    : answer.jobs;
  jobs.sort((a, b) => a.n - b.n);
  return {
    rows: jobs.map(jobRowFromColumns),
    heldBackBy: jobs.length < options.limit ? answer.held_back : null,
  };
}

/** One queue as operators see it: what waits and runs in it, and its settings. */
export interface QueueOverview extends QueueSettings {
  waiting: number;
  running: number;
}

/** Every queue that has waiting or in-flight jobs or settings, by name. */
export async function queueOverview(): Promise<QueueOverview[]> {
  const rows = await bfDb.query<
    QueueRow & { waiting: number; running: number }
  >(
    `WITH counts AS (
       SELECT queue, count(*) FILTER (WHERE status = 'available')::int AS waiting,
              count(*) FILTER (WHERE status IN ('claimed', 'running'))::int AS running
       FROM bfdb_jobs_active GROUP BY queue
     )
     SELECT n.queue, COALESCE(c.waiting, 0) AS waiting, COALESCE(c.running, 0) AS running,
            COALESCE(s.paused, false) AS paused, s.global_concurrency, s.rate_count,
            s.rate_period_ms, COALESCE(s.fair_by_org, false) AS fair_by_org
     FROM (SELECT queue FROM counts UNION SELECT queue FROM bfdb_job_queues) n
     LEFT JOIN counts c USING (queue)
     LEFT JOIN bfdb_job_queues s USING (queue)
     ORDER BY n.queue`,
  );
  return rows.map((row) => ({
    ...settingsOf(row),
    waiting: Number(row.waiting),
    running: Number(row.running),
  }));
}
