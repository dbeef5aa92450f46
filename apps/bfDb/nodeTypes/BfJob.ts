import { currentTraceCarrier } from "@bfmono/packages/tracing/jobTrace.ts";
import { bfDb } from "../bfDb.ts";
import {
  BfNode,
  type BfNodeClass,
  type CreateInput,
  deleteEdgesOf,
  type InferProps,
  type NewNodeRow,
} from "../classes/BfNode.ts";
import { validateProps } from "../classes/defineBfNode.ts";
import type { BfRow } from "../classes/nodeRow.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { BfValidationError } from "../errors.ts";
import { generateGid, gidFromKey } from "../ids.ts";
import { sortableInstant } from "../instants.ts";
import { claimJobs, type ClaimJobsOptions } from "../jobs/claimJobs.ts";
import { type CompletedJob, completeJobs } from "../jobs/completeJobs.ts";
import type { HeldJob } from "../jobs/fencing.ts";
import {
  failJobs,
  type FailOutcome,
  type JobFailure,
} from "../jobs/failJobs.ts";
import { heartbeatJobs } from "../jobs/heartbeatJobs.ts";
import { insertJobs } from "../jobs/insertJobs.ts";
import { JOB_CLASS_NAME, JOB_STATUSES } from "../jobs/jobStates.ts";
import { getJob, listJobs, type ListJobsOptions } from "../jobs/listJobs.ts";
import {
  cancelJobs,
  type CancelledJob,
  cancelledJobIds,
  type CancelSelection,
  deleteFinishedJob,
  retryFailedJobs,
} from "../jobs/operatorJobs.ts";
import { type JobProgress, recordJobProgress } from "../jobs/progressJobs.ts";
import { type JobSnooze, snoozeJobs } from "../jobs/snoozeJobs.ts";
import {
  checkUnique,
  insertUniqueJob,
  type UniqueOptions,
} from "../jobs/uniqueJobs.ts";
import { pruneFinishedJobs } from "../jobs/pruneJobs.ts";
import { claimManagedQueue } from "../jobs/queueSettings.ts";
import { reapExpiredJobs, type ReapOutcome } from "../jobs/reapExpiredJobs.ts";
import { releaseJobs } from "../jobs/releaseJobs.ts";
import { startJobs } from "../jobs/startJobs.ts";

/**
 * The largest payload a job may carry, as UTF-8 JSON text: 1 MiB. Every claim, retry and move
 * to the finished tables copies the row, so a job should carry a reference to a big document,
 * not the document.
 */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** What a producer passes to `BfJob.create`: the type and payload, plus scheduling options. */
export interface BfJobInput {
  type: string;
  payload: unknown;
  /** Defaults to `available`; only `available` makes sense for a new job. */
  status?: "available";
  /** Earliest start: a Date or an ISO-8601 string; defaults to the database's now. */
  runAt?: Date | string;
  /** Higher runs first; an integer, default 0. */
  priority?: number;
  /** Attempts before the job is dead-lettered; default 3. */
  maxAttempts?: number;
  /** The queue it waits in; default `default`. */
  queue?: string;
  /**
   * At most one job per org, type and `key` in a scope (see README, "Job semantics"): `waiting`
   * (default), `active` or `period`; on a conflict the twin is returned, `deduplicated`.
   */
  unique?: UniqueOptions;
}

/** What `BfJob.cancel` did: cancelled the job, or left it alone and says why. */
export type CancelOutcome =
  | { cancelled: true; was: "available" | "claimed" | "running" }
  | {
    cancelled: false;
    /** The job's status (it had finished), or null when no such job is visible. */
    status: "completed" | "failed" | "cancelled" | null;
  };

/** A background job: a `bfdb` row of class BfJob, claimed by workers with FOR UPDATE SKIP LOCKED. */
export class BfJob extends BfNode<InferProps<typeof BfJob>> {
  static override bfNodeSpec = this.defineBfNode((node) =>
    node
      .string("type")
      .json("payload", { maxBytes: MAX_PAYLOAD_BYTES })
      .enum("status", JOB_STATUSES).default("available")
      .number("attempts").default(0)
      .string("error").optional()
      .string("workerId").optional()
      .number("maxAttempts").default(3)
      .string("runAt").optional()
      .number("priority").default(0)
      .string("queue").default("default")
      .string("lockedUntil").optional()
      .string("startedAt").optional()
      .string("finishedAt").optional()
      .string("cancelledAt").optional()
      .json("errors").default([])
      .json("result").optional()
      .json("progress").optional()
      .number("snoozes").optional()
      .string("uniqueKey").optional()
      .string("uniqueScope").optional()
  );

  /** Whether `create` found a twin holding this job's unique key and returned the twin instead. */
  deduplicated = false;

  /** Whether `create` replaced the waiting twin's payload, runAt and priority (`onConflict: "replace"`). */
  replaced = false;

  /** What producers pass to `create`/`createMany` (the memo's `{ type, payload }` and options). */
  declare static createInput?: BfJobInput;

  /** Jobs are read from their own part of bfdb: the job tables, as bfdb rows. */
  static override readRelation = "bfdb_job_rows";

  /** Job ids are minted with the job kind bit, so they can never equal a node's (see ids.ts). */
  static override gidKind = "job" as const;

  /** Validates a producer's input; `runAt` becomes the sortable ISO form. */
  protected static override propsForCreate(
    input: Record<string, unknown>,
  ): Record<string, unknown> {
    return checkJobInput(input as unknown as BfJobInput);
  }

  /** Inserts jobs in one statement that also notifies workers (delivered at commit). */
  protected static override insertRows(
    rows: readonly NewNodeRow[],
    cv: CurrentViewer,
  ): Promise<BfRow[]> {
    return insertJobs(cv.orgId, cv.personId, rows);
  }

  /**
   * Creates jobs, validating every input first; inputs with `unique` are written one statement
   * each (the unique index decides), the rest in one statement, all in one transaction. Returns
   * one job per input, in input order: a deduplicated input gets its twin, `deduplicated`.
   *
   * @example
   * ```ts
   * const job = await BfJob.create({
   *   type: "send_digest",
   *   payload: { userId },
   *   unique: { key: `digest:${userId}`, onConflict: "replace" },
   * }, cv);
   * if (job.deduplicated) console.log("merged into", job.id);
   * ```
   */
  static override async createMany<C extends BfNodeClass>(
    this: C,
    inputs: readonly CreateInput<C>[],
    cv: CurrentViewer,
  ): Promise<InstanceType<C>[]> {
    const now = Date.now();
    // The producer's span, for the run's span to link to; undefined (nothing stored) without
    // an OpenTelemetry SDK.
    const trace = currentTraceCarrier();
    const prepared = inputs.map((input) => {
      const { unique, ...rest } = (input ?? {}) as unknown as BfJobInput;
      return {
        unique: unique === undefined ? undefined : checkUnique(unique),
        row: {
          bfGid: generateGid(now, "job"),
          sortValue: now,
          props: checkJobInput(rest as BfJobInput),
          extra: trace && { trace },
        },
      };
    });
    if (prepared.length === 0) return [];
    const write = async (): Promise<BfJob[]> => {
      const plain = prepared.filter((p) => !p.unique).map((p) => p.row);
      const insertedPlain = await insertJobs(cv.orgId, cv.personId, plain);
      const byId = new Map(insertedPlain.map((row) => [row.bf_gid, row]));
      const jobs: BfJob[] = [];
      for (const { unique, row } of prepared) {
        if (!unique) {
          jobs.push(BfJob.fromRow(byId.get(row.bfGid)!, cv));
          continue;
        }
        const outcome = await insertUniqueJob(
          cv.orgId,
          cv.personId,
          row,
          unique,
        );
        const job = BfJob.fromRow(outcome.row, cv);
        job.deduplicated = outcome.deduplicated;
        job.replaced = outcome.replaced;
        jobs.push(job);
      }
      return jobs;
    };
    const several = prepared.length > 1 && prepared.some((p) => p.unique);
    const jobs = several ? await bfDb.transaction(write) : await write();
    return jobs as InstanceType<C>[];
  }

  /**
   * Enqueues a job whose id derives from `key`, unless that job already exists (even finished);
   * returns it, or null when it existed. Many processes racing on one key create one job. The
   * key is kept for ever, or until `keyExpiresAt` (the pruner forgets it after).
   */
  static async createOnce(
    input: BfJobInput,
    key: string,
    cv: CurrentViewer,
    options: { keyExpiresAt?: string } = {},
  ): Promise<BfJob | null> {
    const [once] = await BfJob.createManyOnce([{ input, key, ...options }], cv);
    return once.job;
  }

  /**
   * `createOnce` for many keys in one statement: for each item, its job's id, and the job when
   * this call created it (null when a job of that key existed).
   */
  static async createManyOnce(
    items: readonly { input: BfJobInput; key: string; keyExpiresAt?: string }[],
    cv: CurrentViewer,
  ): Promise<{ id: string; job: BfJob | null }[]> {
    const now = Date.now();
    const trace = currentTraceCarrier();
    const rows = await Promise.all(items.map(async (item) => ({
      bfGid: await gidFromKey(item.key),
      sortValue: now,
      props: checkJobInput(item.input),
      extra: trace && { trace },
      keyExpiresAt: item.keyExpiresAt,
    })));
    const inserted = new Map(
      (await insertJobs(cv.orgId, cv.personId, rows, { keyed: true }))
        .map((row) => [row.bf_gid, row]),
    );
    return rows.map(({ bfGid }) => {
      const row = inserted.get(bfGid);
      return { id: bfGid, job: row ? BfJob.fromJobRow(row) : null };
    });
  }

  /** Wraps a job row, with a viewer for the job's own org (what its handler acts as). */
  static fromJobRow(row: BfRow): BfJob {
    return BfJob.fromRow(row, CurrentViewer.forOrg(row.bf_oid, row.bf_cid));
  }

  /**
   * Claims the next runnable job for `workerId` (the memo's call), or returns null when none is
   * waiting. One statement, FOR UPDATE SKIP LOCKED; counts the attempt; leases the job.
   *
   * @example
   * ```ts
   * const job = await BfJob.claimNext("worker-1");
   * if (job && await job.start()) await job.complete();
   * ```
   */
  static async claimNext(
    workerId: string,
    options: Omit<ClaimJobsOptions, "limit"> = {},
  ): Promise<BfJob | null> {
    const [job] = await BfJob.claimBatch(workerId, { ...options, limit: 1 });
    return job ?? null;
  }

  /**
   * Claims up to `options.limit` runnable jobs (default 1) in one statement, highest priority
   * then oldest first; always an array, empty when nothing waits.
   */
  static async claimBatch(
    workerId: string,
    options: ClaimJobsOptions = {},
  ): Promise<BfJob[]> {
    const rows = await claimJobs(workerId, options);
    return rows.map((row) => BfJob.fromJobRow(row));
  }

  /**
   * Claims up to `limit` jobs of `types` from a queue with settings (paused, a global
   * concurrency or a rate limit, fair share between orgs), straight to running, within those
   * settings exactly (see `claimManagedQueue`); `fair` takes orgs in turns. Says what held the
   * claim back, if anything.
   */
  static async claimManaged(
    workerId: string,
    queue: string,
    types: readonly string[],
    options: { limit: number; leaseMs?: number; fair?: boolean },
  ): Promise<
    { jobs: BfJob[]; heldBackBy: "paused" | "concurrency" | "rate" | null }
  > {
    const claim = await claimManagedQueue(workerId, queue, types, options);
    return {
      jobs: claim.rows.map((row) => BfJob.fromJobRow(row)),
      heldBackBy: claim.heldBackBy,
    };
  }

  /** Marks claimed jobs running; returns the ids still held. */
  static startMany(
    workerId: string,
    jobs: readonly HeldJob[],
  ): Promise<string[]> {
    return startJobs(workerId, jobs);
  }

  /** Completes held jobs in one statement, storing results given; returns the ids this worker still held. */
  static completeMany(
    workerId: string,
    jobs: readonly CompletedJob[],
  ): Promise<string[]> {
    return completeJobs(workerId, jobs);
  }

  /** Puts held jobs off (a handler's `snooze(ms)`), not counting the attempt; returns the ids still held. */
  static snoozeMany(
    workerId: string,
    jobs: readonly JobSnooze[],
  ): Promise<string[]> {
    return snoozeJobs(workerId, jobs);
  }

  /** Stores held jobs' progress values, fenced; returns the ids still held. */
  static recordProgress(
    workerId: string,
    jobs: readonly JobProgress[],
  ): Promise<string[]> {
    return recordJobProgress(workerId, jobs);
  }

  /** Settles failed attempts in one statement: retry with backoff or dead-letter. */
  static failMany(
    workerId: string,
    failures: readonly JobFailure[],
  ): Promise<FailOutcome[]> {
    return failJobs(workerId, failures);
  }

  /** Hands held jobs back without counting the attempt. */
  static releaseMany(
    workerId: string,
    jobs: readonly HeldJob[],
  ): Promise<string[]> {
    return releaseJobs(workerId, jobs);
  }

  /** Extends the leases of every job `workerId` holds; returns the ids still held. */
  static heartbeat(
    workerId: string,
    leaseMs: number,
    ids?: readonly string[],
  ): Promise<string[]> {
    return heartbeatJobs(workerId, leaseMs, ids);
  }

  /**
   * Returns jobs with expired leases to `available`, or `failed` when out of attempts; jobs in
   * `exceptIds` (the caller's own finished jobs still being written) are left alone.
   */
  static reapExpired(
    limit?: number,
    exceptIds?: readonly string[],
  ): Promise<ReapOutcome[]> {
    return reapExpiredJobs(limit, exceptIds);
  }

  /** Operator: retries one failed job by id; returns whether it was failed and is now available. */
  static async retryFailed(id: string): Promise<boolean> {
    return (await retryFailedJobs({ id })).length === 1;
  }

  /** Operator: retries every failed job (of one type); cancelled ones stay cancelled. Returns their ids. */
  static retryAllFailed(type?: string): Promise<string[]> {
    return retryFailedJobs({ allFailed: true, type });
  }

  /**
   * Cancels job `id` of `cv`'s org: a waiting job becomes `cancelled` at once; a claimed or
   * running one too, and its worker is told to abort the handler's signal (its late settle is
   * refused). A finished job is left alone; the outcome says which happened.
   *
   * @example
   * ```ts
   * const outcome = await BfJob.cancel(job.id, cv, "customer closed the account");
   * if (!outcome.cancelled) console.log("already", outcome.status);
   * ```
   */
  static async cancel(
    id: string,
    cv: CurrentViewer,
    reason?: string,
  ): Promise<CancelOutcome> {
    const [done] = await cancelJobs({ id, orgId: cv.orgId }, reason);
    if (done) return { cancelled: true, was: done.was };
    const row = await getJob(id);
    const status = row && row.bf_oid === cv.orgId
      ? (row.props as Record<string, unknown>).status as
        | "completed"
        | "failed"
        | "cancelled"
      : null;
    return { cancelled: false, status };
  }

  /** Which of `ids` (jobs a worker holds) are cancelled now, with the reason given. */
  static cancelledAmong(
    ids: readonly string[],
  ): Promise<{ id: string; reason: string }[]> {
    return cancelledJobIds(ids);
  }

  /** Operator: cancels one job by id, or every waiting/in-flight job of a type, across orgs. */
  static cancelJobs(
    selection: CancelSelection,
    reason?: string,
  ): Promise<CancelledJob[]> {
    return cancelJobs(selection, reason);
  }

  /**
   * Operator: removes completed jobs that finished more than `olderThanMs` ago, whole UTC days
   * at a time (partitions emptied and dropped; see `pruneFinishedJobs`). Returns how many went.
   */
  static async pruneCompleted(olderThanMs: number): Promise<number> {
    return (await pruneFinishedJobs("bfdb_jobs_completed", olderThanMs))
      .removed;
  }

  /** Operator: jobs across every org, filtered by status and type. */
  static async list(options?: ListJobsOptions): Promise<BfJob[]> {
    return (await listJobs(options)).map((row) => BfJob.fromJobRow(row));
  }

  /** Operator: one job by id across every org, or null. */
  static async get(id: string): Promise<BfJob | null> {
    const row = await getJob(id);
    return row ? BfJob.fromJobRow(row) : null;
  }

  /**
   * Refused: a job's row changes only through the queue's fenced transitions (claim, start,
   * complete, fail, release, the reaper's and an operator's), so a handler or producer holding a
   * stale copy can never overwrite what a worker wrote.
   */
  override save(): Promise<this> {
    return Promise.reject(
      new Error(
        `BfJob ${this.id}: a job changes only through its transitions ` +
          "(complete, fail, release, retry, cancel), not save()",
      ),
    );
  }

  /**
   * Deletes this job and its edges if it has finished (completed or failed); a job still
   * waiting or in flight is left alone and false returned (cancel it first).
   */
  override async delete(): Promise<boolean> {
    return await bfDb.transaction(async () => {
      if (!await deleteFinishedJob(this.id, this.cv.orgId)) return false;
      await deleteEdgesOf(this.id, this.cv.orgId);
      return true;
    });
  }

  /** This job as its holder knows it, for the batch settles. */
  get held(): HeldJob {
    return { id: this.id, attempt: this.props.attempts };
  }

  /** The start transition: claimed → running; false when this worker no longer holds it. */
  async start(): Promise<boolean> {
    const ok = (await startJobs(this.#holder(), [this.held])).length === 1;
    if (ok) this.props.status = "running";
    return ok;
  }

  /** Completes this job; false when the lease was lost and someone else owns it now. */
  async complete(): Promise<boolean> {
    const ok = (await completeJobs(this.#holder(), [this.held])).length === 1;
    if (ok) this.props.status = "completed";
    return ok;
  }

  /**
   * Fails this attempt: retry after exponential backoff with jitter, or dead-letter when it was
   * the last attempt or `permanent`. Returns the new status, or null when the lease was lost.
   */
  async fail(
    error: unknown,
    options: { permanent?: boolean; retryDelayMs?: number } = {},
  ): Promise<"available" | "failed" | null> {
    const message = error instanceof Error ? error.message : String(error);
    const [outcome] = await failJobs(this.#holder(), [{
      ...this.held,
      error: message,
      permanent: options.permanent,
      retryDelayMs: options.retryDelayMs,
    }]);
    if (!outcome) return null;
    this.props.status = outcome.status;
    this.props.error = message;
    return outcome.status;
  }

  /** Hands this job back without counting the attempt; false when the lease was lost. */
  async release(): Promise<boolean> {
    const ok = (await releaseJobs(this.#holder(), [this.held])).length === 1;
    if (ok) this.props.status = "available";
    return ok;
  }

  #holder(): string {
    const workerId = this.props.workerId;
    if (!workerId) {
      throw new Error(`BfJob ${this.id} is not held by any worker`);
    }
    return workerId;
  }
}

const MAX_TYPE_LENGTH = 200;

/** Props the queue writes while a job runs; a producer setting them would forge job state. */
const WORKER_OWNED_FIELDS = [
  "workerId",
  "lockedUntil",
  "startedAt",
  "finishedAt",
  "cancelledAt",
  "error",
  "result",
  "progress",
  "snoozes",
  "uniqueKey",
  "uniqueScope",
] as const;

/** Checks a producer's input and turns it into validated props, with clear errors. */
function checkJobInput(input: BfJobInput): Record<string, unknown> {
  if (input === null || typeof input !== "object") {
    throw new BfValidationError(
      JOB_CLASS_NAME,
      "(props)",
      "expected an object",
    );
  }
  const { runAt, ...rest } = input;
  for (const field of WORKER_OWNED_FIELDS) {
    if ((rest as Record<string, unknown>)[field] !== undefined) {
      throw new BfValidationError(
        JOB_CLASS_NAME,
        field,
        "is set by the queue as the job runs, not by a producer",
      );
    }
  }
  const errors = (rest as Record<string, unknown>).errors;
  if (errors !== undefined && !(Array.isArray(errors) && errors.length === 0)) {
    throw new BfValidationError(
      JOB_CLASS_NAME,
      "errors",
      "a new job starts with an empty error history",
    );
  }
  if (
    typeof rest.type === "string" &&
    (rest.type.length === 0 || rest.type.length > MAX_TYPE_LENGTH)
  ) {
    throw new BfValidationError(
      JOB_CLASS_NAME,
      "type",
      `must be 1 to ${MAX_TYPE_LENGTH} characters`,
    );
  }
  if (rest.status !== undefined && rest.status !== "available") {
    throw new BfValidationError(
      JOB_CLASS_NAME,
      "status",
      'a new job must be "available"',
    );
  }
  const props = validateProps(
    JOB_CLASS_NAME,
    BfJob.bfNodeSpec,
    { ...rest } as Record<string, unknown>,
    true,
  );
  if (
    !Number.isInteger(props.priority) ||
    Math.abs(props.priority as number) > 1_000_000
  ) {
    throw new BfValidationError(
      JOB_CLASS_NAME,
      "priority",
      "expected an integer from -1000000 to 1000000",
    );
  }
  if (
    !Number.isInteger(props.maxAttempts) || (props.maxAttempts as number) < 1 ||
    (props.maxAttempts as number) > 1000
  ) {
    throw new BfValidationError(
      JOB_CLASS_NAME,
      "maxAttempts",
      "expected an integer from 1 to 1000",
    );
  }
  if (props.attempts !== 0) {
    throw new BfValidationError(
      JOB_CLASS_NAME,
      "attempts",
      "a new job starts at 0 attempts",
    );
  }
  if (runAt !== undefined) {
    props.runAt = sortableInstant(JOB_CLASS_NAME, "runAt", runAt);
  }
  return props;
}
