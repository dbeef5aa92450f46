/**
 * The end-of-scenario accounting: reads every job row and compares it with what the fake
 * PostHog received. A job is lost when the fake never saw its uuid; a delivery beyond the first
 * is explained only when the queue knowingly ran the job again because its worker was killed
 * (its lease expired while the worker was SIGKILLed, or while the suite was cutting the
 * database connections), and never when it was delivered more often than it was claimed.
 *
 * @example
 * ```ts
 * const rows = await readJobs(admin);
 * const a = account(rows, fake, { killedWorkerIds, connectionFaults: [] });
 * a.lost.length; // must be 0
 * ```
 *
 * @module
 */
import type postgres from "postgres";

/** One entry of a job's error history (`props.errors`). */
export interface JobErrorEntry {
  attempt?: number;
  error?: string;
  at?: string;
  permanent?: boolean;
  /** A return by the reaper that did not count the attempt (its start was never written). */
  uncharged?: boolean;
}

/** A job row, as the accounting needs it. */
export interface JobRow {
  id: string;
  type: string;
  status: string;
  attempts: number;
  workerId: string | null;
  errors: JobErrorEntry[];
  /** Epoch ms of the insert. */
  createdAt: number;
  /** Epoch ms of the final settle, when there was one. */
  finishedAt: number | null;
}

/** Reads every BfJob row of the database `sql` is connected to. */
export async function readJobs(sql: postgres.Sql): Promise<JobRow[]> {
  const rows = await sql.unsafe<
    {
      id: string;
      type: string;
      status: string;
      attempts: number;
      worker_id: string | null;
      errors: unknown;
      created_ms: string;
      finished_at: string | null;
    }[]
  >(
    `SELECT bf_gid AS id, props->>'type' AS type, props->>'status' AS status,
            (props->>'attempts')::int AS attempts, props->>'workerId' AS worker_id,
            COALESCE(props->'errors', '[]'::jsonb) AS errors,
            (extract(epoch FROM created_at) * 1000)::bigint::text AS created_ms,
            props->>'finishedAt' AS finished_at
     FROM bfdb WHERE class_name = $1 ORDER BY bf_gid`,
    ["BfJob"],
  );
  return rows.map((row) => ({
    id: row.id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    workerId: row.worker_id,
    errors: Array.isArray(row.errors) ? row.errors as JobErrorEntry[] : [],
    createdAt: Number(row.created_ms),
    finishedAt: row.finished_at ? Date.parse(row.finished_at) : null,
  }));
}

/** Enqueue-to-settle latency of finished jobs, in ms: median, 99th percentile and worst. */
export function latency(
  rows: readonly JobRow[],
): { p50: number; p99: number; max: number; slowest: string | null } {
  const done = rows.filter((r) => r.finishedAt !== null)
    .map((r) => ({ id: r.id, ms: r.finishedAt! - r.createdAt }))
    .sort((a, b) => a.ms - b.ms);
  if (done.length === 0) return { p50: 0, p99: 0, max: 0, slowest: null };
  const at = (q: number) =>
    done[Math.min(done.length - 1, Math.floor(q * done.length))].ms;
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: done[done.length - 1].ms,
    slowest: done[done.length - 1].id,
  };
}

/** The memo's ops query, verbatim: job counts by status. */
export async function statusCounts(
  sql: postgres.Sql,
): Promise<Record<string, number>> {
  const rows = await sql.unsafe<{ status: string; count: string }[]>(
    `SELECT props->>'status' AS status, COUNT(*) FROM bfDb WHERE class_name = 'BfJob' GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
}

/** What received which uuid how often: the fake's view. */
export interface Deliveries {
  count(uuid: string): number;
  uuids(): IterableIterator<string>;
}

/** A window (epoch ms) in which the suite cut workers' database connections. */
export interface ConnectionFault {
  start: number;
  end: number;
  what: string;
}

/** What may explain a job being run again. */
export interface Excuses {
  /** Worker ids of processes the suite SIGKILLed. */
  killedWorkerIds: Set<string>;
  /** When the suite cut the workers' connections (server stop, pg_terminate_backend). */
  connectionFaults: ConnectionFault[];
  /** How long after a connection fault a lease may still lapse because of it. */
  marginMs?: number;
}

/** A job delivered more than once. */
export interface Duplicate {
  id: string;
  deliveries: number;
  attempts: number;
  status: string;
  /** Why it ran again, or null when nothing the suite did explains it. */
  explainedBy: string | null;
}

/** The accounting of one scenario. */
export interface Accounting {
  /** track_usage rows: jobs actually enqueued. */
  enqueued: number;
  /** Of those, how many the fake received (distinct uuids). */
  delivered: number;
  /** Ids of track_usage rows the fake never received. */
  lost: string[];
  /** Rows of any type not `completed`. */
  notCompleted: { id: string; type: string; status: string }[];
  /** Jobs delivered more than once. */
  duplicates: Duplicate[];
  /** Deliveries beyond one per job, in all. */
  extraDeliveries: number;
  /** uuids the fake received that match no row. */
  unknownUuids: number;
}

const LEASE_EXPIRED = /^lease expired: worker (\S+) stopped renewing it/;

function explain(
  row: JobRow,
  deliveries: number,
  excuses: Excuses,
): string | null {
  // Each attempt may deliver once; so may each uncharged return, whose start the dead worker
  // had not written yet (it may have run: the refund is bounded, see reapExpiredJobs.ts).
  const uncharged = row.errors.filter((e) => e.uncharged === true).length;
  if (deliveries > row.attempts + uncharged) return null;
  const margin = excuses.marginMs ?? 15_000;
  for (const entry of row.errors) {
    const match = LEASE_EXPIRED.exec(entry.error ?? "");
    if (!match) continue;
    if (excuses.killedWorkerIds.has(match[1])) {
      return `its worker ${match[1]} was SIGKILLed`;
    }
    const at = entry.at ? Date.parse(entry.at) : NaN;
    const fault = excuses.connectionFaults.find((f) =>
      at >= f.start && at <= f.end + margin
    );
    if (fault) {
      return `its worker's database connection was cut (${fault.what})`;
    }
  }
  return null;
}

/** Compares job rows with the fake's deliveries; see {@linkcode Accounting}. */
export function account(
  rows: readonly JobRow[],
  received: Deliveries,
  excuses: Excuses,
): Accounting {
  const tracked = rows.filter((row) => row.type === "track_usage");
  const ids = new Set(tracked.map((row) => row.id));
  const lost: string[] = [];
  const duplicates: Duplicate[] = [];
  let delivered = 0;
  let extraDeliveries = 0;
  for (const row of tracked) {
    const n = received.count(row.id);
    if (n === 0) {
      lost.push(row.id);
      continue;
    }
    delivered++;
    if (n > 1) {
      extraDeliveries += n - 1;
      duplicates.push({
        id: row.id,
        deliveries: n,
        attempts: row.attempts,
        status: row.status,
        explainedBy: explain(row, n, excuses),
      });
    }
  }
  let unknownUuids = 0;
  for (const uuid of received.uuids()) if (!ids.has(uuid)) unknownUuids++;
  return {
    enqueued: tracked.length,
    delivered,
    lost,
    notCompleted: rows.filter((row) => row.status !== "completed").map((
      row,
    ) => ({
      id: row.id,
      type: row.type,
      status: row.status,
    })),
    duplicates,
    extraDeliveries,
    unknownUuids,
  };
}
