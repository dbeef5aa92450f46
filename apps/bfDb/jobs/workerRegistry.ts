/**
 * The registry of live workers (`bfdb_workers`): each worker registers at start, its heartbeat
 * renews the entry like a lease, it removes itself at a graceful stop, and entries of workers
 * that died are swept once long expired. Operators read it to see who is alive and which
 * (queue, type) pairs no live worker serves.
 *
 * @module
 */
import { bfDb } from "../bfDb.ts";
import type { JobTransition } from "./jobStates.ts";

/** The transitions this file's SQL performs: none (it never touches a job row). */
export const performs: readonly JobTransition[] = [];

/** A (queue, type) pair a worker claims. */
export interface JobKind {
  queue: string;
  type: string;
}

/** The queue of a registered kind that a worker serving every queue claims from. */
export const ANY_QUEUE = "*";

/** What a worker says about itself when it registers. */
export interface WorkerRegistration {
  workerId: string;
  host: string;
  pid: number;
  concurrency: number;
  kinds: readonly JobKind[];
  /** How long the entry stays alive without a renewal. */
  leaseMs: number;
}

/** A registry entry as operators see it. */
export interface LiveWorker {
  workerId: string;
  host: string;
  pid: number;
  concurrency: number;
  kinds: JobKind[];
  startedAt: string;
  lastSeen: string;
  running: number;
}

/** Entries expired this long are swept: long enough for an operator to notice the death. */
export const DEAD_WORKER_RETENTION_MS = 3_600_000;

/** Adds (or refreshes) the worker's entry. */
export async function registerWorker(w: WorkerRegistration): Promise<void> {
  await bfDb.query(
    `INSERT INTO bfdb_workers (worker_id, host, pid, concurrency, kinds, expires_at)
     VALUES ($1, $2, $3, $4, $5::text::jsonb, now() + $6::int * interval '1 millisecond')
     ON CONFLICT (worker_id) DO UPDATE SET
       host = EXCLUDED.host, pid = EXCLUDED.pid, concurrency = EXCLUDED.concurrency,
       kinds = EXCLUDED.kinds, last_seen = now(), expires_at = EXCLUDED.expires_at`,
    [
      w.workerId,
      w.host,
      w.pid,
      w.concurrency,
      JSON.stringify(w.kinds),
      w.leaseMs,
    ],
  );
}

/** Renews the worker's entry for `leaseMs` and records how many jobs it runs; false if gone. */
export async function renewWorker(
  workerId: string,
  leaseMs: number,
  running: number,
): Promise<boolean> {
  const rows = await bfDb.query(
    `UPDATE bfdb_workers SET last_seen = now(), running = $3,
       expires_at = now() + $2::int * interval '1 millisecond'
     WHERE worker_id = $1 RETURNING 1`,
    [workerId, leaseMs, running],
  );
  return rows.length === 1;
}

/** Removes the worker's entry (a graceful stop). */
export async function unregisterWorker(workerId: string): Promise<void> {
  await bfDb.query("DELETE FROM bfdb_workers WHERE worker_id = $1", [
    workerId,
  ]);
}

/** Removes entries expired longer than `olderThanMs` ago; returns how many. */
export async function sweepDeadWorkers(
  olderThanMs: number = DEAD_WORKER_RETENTION_MS,
): Promise<number> {
  const rows = await bfDb.query(
    `DELETE FROM bfdb_workers
     WHERE expires_at < now() - $1::int * interval '1 millisecond' RETURNING 1`,
    [olderThanMs],
  );
  return rows.length;
}

/** The workers alive now (entry not expired), oldest first. */
export async function liveWorkers(): Promise<LiveWorker[]> {
  const rows = await bfDb.query<{
    worker_id: string;
    host: string;
    pid: number;
    concurrency: number;
    kinds: JobKind[] | string;
    started_at: string;
    last_seen: string;
    running: number;
  }>(
    `SELECT worker_id, host, pid, concurrency, kinds, bfdb_iso(started_at) AS started_at,
            bfdb_iso(last_seen) AS last_seen, running
     FROM bfdb_workers WHERE expires_at > now() ORDER BY started_at, worker_id`,
  );
  return rows.map((r) => ({
    workerId: r.worker_id,
    host: r.host,
    pid: Number(r.pid),
    concurrency: Number(r.concurrency),
    kinds: typeof r.kinds === "string" ? JSON.parse(r.kinds) : r.kinds,
    startedAt: r.started_at,
    lastSeen: r.last_seen,
    running: Number(r.running),
  }));
}

/** A job some worker holds (claimed ahead or running). */
export interface HeldJob {
  id: string;
  type: string;
  queue: string;
  status: "claimed" | "running";
  /** When it started (null: claimed ahead, or its start not written yet). */
  startedAt: string | null;
}

/** What one worker holds: how many jobs, and the first of them (running ones first). */
export interface WorkerHoldings {
  held: number;
  jobs: HeldJob[];
}

/**
 * The jobs each worker holds, by worker id: the count, and up to `perWorker` of them, running
 * ones first, oldest first. Workers holding nothing are absent.
 */
export async function jobsHeldByWorkers(
  perWorker = 10,
): Promise<Map<string, WorkerHoldings>> {
  const rows = await bfDb.query<{
    worker_id: string;
    held: number;
    id: string;
    type: string;
    queue: string;
    status: "claimed" | "running";
    started_at: string | null;
  }>(
    `SELECT worker_id, held, bf_gid AS id, type, queue, status,
            bfdb_iso(started_at) AS started_at
     FROM (
       SELECT worker_id, bf_gid, type, queue, status, started_at,
              count(*) OVER (PARTITION BY worker_id) AS held,
              row_number() OVER (PARTITION BY worker_id ORDER BY status DESC, bf_gid) AS n
       FROM bfdb_jobs_active
       WHERE status IN ('claimed', 'running') AND worker_id IS NOT NULL
     ) h
     WHERE n <= $1
     ORDER BY worker_id, n`,
    [perWorker],
  );
  const byWorker = new Map<string, WorkerHoldings>();
  for (const r of rows) {
    let holdings = byWorker.get(r.worker_id);
    if (!holdings) {
      holdings = { held: Number(r.held), jobs: [] };
      byWorker.set(r.worker_id, holdings);
    }
    holdings.jobs.push({
      id: r.id,
      type: r.type,
      queue: r.queue,
      status: r.status,
      startedAt: r.started_at,
    });
  }
  return byWorker;
}
