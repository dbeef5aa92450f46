import { bfDb } from "../bfDb.ts";
import type { BfRow } from "../classes/nodeRow.ts";
import { BfValidationError } from "../errors.ts";
import { gidFromKey } from "../ids.ts";
import { DEFAULT_QUEUE } from "./claimJobs.ts";
import { insertJobs, type JobInsert, NEW_JOB_COLUMNS } from "./insertJobs.ts";
import {
  type JobColumns,
  jobColumnsOf,
  jobRowFromColumns,
} from "./jobColumns.ts";
import {
  JOB_CHANNEL,
  JOB_CLASS_NAME,
  JOB_NOTICE_SQL,
  type JobTransition,
} from "./jobStates.ts";
import { getJob } from "./listJobs.ts";

/** The transitions this file's SQL performs: none (it creates jobs, `available`, or replaces a waiting one's payload). */
export const performs: readonly JobTransition[] = [];

/** Which twins a unique job is unique among. */
export type UniqueScope = "waiting" | "active" | "period";

/** What `BfJob.create` accepts as `unique`: per org, per job type, per key. */
export interface UniqueOptions {
  key: string;
  /** Default `waiting`. */
  scope?: UniqueScope;
  /** The throttle window of scope `period`, in ms; windows are aligned to the epoch. */
  periodMs?: number;
  /** Default `skip`; `replace` (scope `waiting` only) overwrites the waiting twin. */
  onConflict?: "skip" | "replace";
}

/** A checked {@linkcode UniqueOptions}, defaults filled in. */
export interface UniqueSpec {
  key: string;
  scope: UniqueScope;
  periodMs?: number;
  onConflict: "skip" | "replace";
}

/** The longest unique key, in characters. */
export const MAX_UNIQUE_KEY_LENGTH = 512;

/** The longest throttle window: one year. */
const MAX_PERIOD_MS = 366 * 86_400_000;

const SCOPES: readonly UniqueScope[] = ["waiting", "active", "period"];

function invalid(field: string, problem: string): BfValidationError {
  return new BfValidationError(JOB_CLASS_NAME, `unique.${field}`, problem);
}

/** Checks a producer's `unique` option; every problem names its field. */
export function checkUnique(value: unknown): UniqueSpec {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BfValidationError(
      JOB_CLASS_NAME,
      "unique",
      "expected an object { key, scope?, periodMs?, onConflict? }",
    );
  }
  const given = value as Record<string, unknown>;
  for (const field of Object.keys(given)) {
    if (!["key", "scope", "periodMs", "onConflict"].includes(field)) {
      throw invalid(field, "is not a unique-job option");
    }
  }
  const { key, scope = "waiting", periodMs, onConflict = "skip" } = given;
  if (typeof key !== "string" || key.length === 0) {
    throw invalid("key", "expected a non-empty string");
  }
  if (key.length > MAX_UNIQUE_KEY_LENGTH) {
    throw invalid("key", `longer than ${MAX_UNIQUE_KEY_LENGTH} characters`);
  }
  if (key.includes("\u0000") || !key.isWellFormed()) {
    throw invalid("key", "has a NUL character or a lone surrogate");
  }
  if (!SCOPES.includes(scope as UniqueScope)) {
    throw invalid("scope", `expected one of ${SCOPES.join(", ")}`);
  }
  if (onConflict !== "skip" && onConflict !== "replace") {
    throw invalid("onConflict", 'expected "skip" or "replace"');
  }
  if (onConflict === "replace" && scope !== "waiting") {
    throw invalid(
      "onConflict",
      '"replace" works only with scope "waiting" (a job in flight or finished is never modified)',
    );
  }
  if (scope === "period") {
    if (periodMs === undefined) {
      throw invalid("periodMs", 'is required with scope "period"');
    }
    if (
      typeof periodMs !== "number" || !Number.isInteger(periodMs) ||
      periodMs < 1 || periodMs > MAX_PERIOD_MS
    ) {
      throw invalid(
        "periodMs",
        `expected a whole number of milliseconds from 1 to ${MAX_PERIOD_MS}`,
      );
    }
  } else if (periodMs !== undefined) {
    throw invalid("periodMs", 'applies only to scope "period"');
  }
  return {
    key,
    scope: scope as UniqueScope,
    onConflict,
    ...(scope === "period" ? { periodMs: periodMs as number } : {}),
  };
}

/** A unique create's result: the job now holding the key, and whether it was the new one. */
export interface UniqueInsertOutcome {
  row: BfRow;
  deduplicated: boolean;
  replaced: boolean;
}

/** The `extra` field a unique index of `bfdb_jobs_active` is built on, per scope. */
const INDEXED_FIELD = { waiting: "waitingKey", active: "activeKey" } as const;

/**
 * The conflict target and twin condition of each indexed scope (alias `j`): the predicate of
 * its unique index (migration 006), repeated so the planner can use the index.
 */
const INDEXED = {
  waiting: {
    target: `(bf_oid, type, (extra->>'waitingKey'))
       WHERE status = 'available' AND extra ? 'waitingKey'`,
    twin:
      `j.extra->>'waitingKey' = $3 AND j.status = 'available' AND j.extra ? 'waitingKey'`,
  },
  active: {
    target: `(bf_oid, type, (extra->>'activeKey')) WHERE extra ? 'activeKey'`,
    twin: `j.extra->>'activeKey' = $3 AND j.extra ? 'activeKey'`,
  },
} as const;

/**
 * How many times one create looks again when the twin it collided with was gone by the time it
 * looked (claimed, finished or pruned in between): each round trip means another job moved on,
 * so a few are plenty; more means something keeps racing and is reported.
 */
const MAX_ROUNDS = 20;

/**
 * Creates `job` unless a twin holds its key in `spec`'s scope, enforced by a unique index (scopes
 * `waiting` and `active`) or by the job-key registry (`period`), so racing producers create one
 * job. On a conflict nothing is written and the twin is returned, except with `replace`, where
 * the waiting twin's payload, runAt and priority become the new ones.
 */
export async function insertUniqueJob(
  orgId: string,
  creatorId: string,
  job: JobInsert,
  spec: UniqueSpec,
): Promise<UniqueInsertOutcome> {
  const type = job.props.type as string;
  if (spec.scope === "period") {
    return await insertPeriodJob(orgId, creatorId, job, spec);
  }
  const field = INDEXED_FIELD[spec.scope];
  const extra = {
    ...job.extra,
    uniqueKey: spec.key,
    uniqueScope: spec.scope,
    [field]: spec.key,
  };
  const index = INDEXED[spec.scope];
  const onConflict = spec.onConflict === "replace"
    ? `DO UPDATE SET payload = EXCLUDED.payload, run_at = EXCLUDED.run_at,
         priority = EXCLUDED.priority, last_updated = now()
       WHERE bfdb_jobs_active.status = 'available'`
    : "DO NOTHING";
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const [written] = await bfDb.query<JobColumns & { inserted: boolean }>(
      `WITH written AS (
         INSERT INTO bfdb_jobs_active (${NEW_JOB_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, 'available', $6::int,
                 COALESCE(NULLIF($7, '')::timestamptz, now()), $8::int, $9::text::jsonb,
                 $10::text::jsonb, $11::bigint)
         ON CONFLICT ${index.target}
         ${onConflict}
         RETURNING *, xmax = 0 AS inserted
       ), notified AS (
         SELECT pg_notify($12, ${JOB_NOTICE_SQL}) FROM written
       )
       SELECT ${
        jobColumnsOf("w")
      }, w.inserted, (SELECT count(*) FROM notified) AS notified
       FROM written w`,
      [
        job.bfGid,
        orgId,
        creatorId,
        type,
        (job.props.queue as string | undefined) ?? DEFAULT_QUEUE,
        String(job.props.priority ?? 0),
        (job.props.runAt as string | undefined) ?? "",
        String(job.props.maxAttempts ?? 3),
        JSON.stringify(job.props.payload ?? null),
        JSON.stringify(extra),
        String(job.sortValue),
        JOB_CHANNEL,
      ],
    );
    if (written) {
      const inserted = written.inserted === true;
      return {
        row: jobRowFromColumns(written),
        deduplicated: !inserted,
        replaced: !inserted,
      };
    }
    // Skipped: the twin is read by a new statement, which sees it committed. It may have left
    // the scope meanwhile; then the key is free and the next round creates the job.
    const [twin] = await bfDb.query<JobColumns>(
      `SELECT ${jobColumnsOf("j")} FROM bfdb_jobs_active j
       WHERE j.bf_oid = $1 AND j.type = $2 AND ${index.twin}`,
      [orgId, type, spec.key],
    );
    if (twin) {
      return {
        row: jobRowFromColumns(twin),
        deduplicated: true,
        replaced: false,
      };
    }
  }
  throw new Error(
    `BfJob unique key ${
      JSON.stringify(spec.key)
    }: its twin kept changing state; try again`,
  );
}

/** Scope `period`: the job's id is derived from the key and its window, registered once. */
async function insertPeriodJob(
  orgId: string,
  creatorId: string,
  job: JobInsert,
  spec: UniqueSpec,
): Promise<UniqueInsertOutcome> {
  const periodMs = spec.periodMs!;
  const type = job.props.type as string;
  // The database's clock places the window, so producers on skewed clocks agree.
  const [{ now_ms }] = await bfDb.query<{ now_ms: number | string }>(
    "SELECT (extract(epoch FROM now()) * 1000)::float8 AS now_ms",
  );
  const windowStart = Math.floor(Number(now_ms) / periodMs) * periodMs;
  const bfGid = await gidFromKey(
    JSON.stringify(["period", orgId, type, spec.key, periodMs, windowStart]),
  );
  const keyed: JobInsert = {
    ...job,
    bfGid,
    extra: {
      ...job.extra,
      uniqueKey: spec.key,
      uniqueScope: "period",
      periodMs,
      periodStart: new Date(windowStart).toISOString(),
    },
    keyExpiresAt: new Date(windowStart + periodMs).toISOString(),
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const [inserted] = await insertJobs(orgId, creatorId, [keyed], {
      keyed: true,
    });
    if (inserted) {
      return { row: inserted, deduplicated: false, replaced: false };
    }
    const twin = await getJob(bfGid);
    if (twin) return { row: twin, deduplicated: true, replaced: false };
    // The window's job was deleted by an operator: its key no longer stands for a job, so it is
    // released (only while no job holds the id) and the window gets a job again.
    await bfDb.query(
      `DELETE FROM bfdb_job_keys k WHERE k.bf_gid = $1
         AND NOT EXISTS (SELECT 1 FROM bfdb_jobs j WHERE j.bf_gid = $1)`,
      [bfGid],
    );
  }
  throw new Error(
    `BfJob unique key ${
      JSON.stringify(spec.key)
    }: its window's job kept disappearing; try again`,
  );
}

/** Forgets keys of `period` jobs whose window has ended (the pruner's); returns how many went. */
export async function pruneExpiredJobKeys(limit = 10_000): Promise<number> {
  const [row] = await bfDb.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM bfdb_job_keys WHERE bf_gid IN (
         SELECT bf_gid FROM bfdb_job_keys WHERE expires_at < now() LIMIT $1
       ) RETURNING 1
     ) SELECT count(*)::int AS n FROM gone`,
    [limit],
  );
  return Number(row.n);
}

/**
 * The `extra` of a job (alias `a`) going back to `available` from flight: it no longer holds a
 * `waiting` key, so a twin created while it ran and the job itself never collide.
 */
export function extraBackToWaiting(a: string): string {
  return `${a}.extra - 'waitingKey'`;
}
