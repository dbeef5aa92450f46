import type { JobStatus } from "@bfmono/apps/bfDb/jobs/jobStates.ts";
import { JOB_STATUSES } from "@bfmono/apps/bfDb/jobs/jobStates.ts";
import type { JobStats } from "@bfmono/apps/bfDb/jobs/jobStats.ts";
import { jobStats } from "@bfmono/apps/bfDb/jobs/jobStats.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import {
  type CancelledJob,
  deleteFinishedJob,
} from "@bfmono/apps/bfDb/jobs/operatorJobs.ts";
import {
  type QueueOverview,
  queueOverview,
  type QueueSettings,
  type QueueSettingsPatch,
  setQueueSettings,
} from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import {
  BfJobSchedule,
  type ScheduleState,
} from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import {
  parseWithSchema,
  type StandardSchemaV1,
} from "../worker/standardSchema.ts";

/** An operator asked for something that cannot be done as asked; nothing was changed. */
export class OperatorError extends Error {
  override name = "OperatorError";
}

/** A request to enqueue one job. */
export interface EnqueueRequest {
  type: string;
  payload: unknown;
  runAt?: string;
  priority?: number;
  maxAttempts?: number;
  /** Org the job belongs to; defaults to the system org. */
  orgId?: string;
}

/** One job, as operators see it in listings. */
export interface JobSummary {
  id: string;
  org: string;
  type: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  runAt: string | null;
  error: string | null;
  updatedAt: string;
}

/** What operators can do to the queue; served both directly and over the worker's HTTP port. */
export interface OperatorCommands {
  enqueue(request: EnqueueRequest): Promise<{ id: string }>;
  status(): Promise<JobStats>;
  list(
    filter: { status?: string; type?: string; limit?: number },
  ): Promise<JobSummary[]>;
  retry(
    selection: { id: string } | { failed: true; type?: string },
  ): Promise<{ retried: string[] }>;
  /**
   * Cancels one job by id, or the waiting and in-flight jobs of a type (only those in
   * `statuses`, when given); a job that finished is left alone (an OperatorError by id).
   */
  cancel(
    selection: CancelRequest,
  ): Promise<{ cancelled: CancelledJob[] }>;
  /** Deletes one finished (completed, failed or cancelled) job; any other is an OperatorError. */
  deleteJob(request: { id: string }): Promise<{ deleted: string }>;
  /** Every prop of one job (payload, result, progress, snoozes, error history, timestamps). */
  show(request: { id: string }): Promise<JobDetail>;
  /** Every queue with waiting or running jobs or settings: counts, pause and limits. */
  queues(): Promise<QueueOverview[]>;
  /** Changes a queue's settings (absent fields stay; null removes a limit); returns them. */
  setQueue(
    request: { name: string } & QueueSettingsPatch,
  ): Promise<QueueSettings>;
  /** Every stored schedule, with its next and last slot. */
  schedules(): Promise<ScheduleState[]>;
  /** Pauses or resumes a schedule, or enqueues one of its jobs now (`run`: the job's id). */
  schedule(
    request: { name: string; action: "pause" | "resume" | "run" },
  ): Promise<{ name: string; jobId?: string }>;
  prune(request: { olderThanMs: number }): Promise<{ deleted: number }>;
  /** Applies pending migrations; returns the versions applied (none while a worker runs). */
  migrate(): Promise<{ applied: number[] }>;
}

/** Which jobs an operator cancels. */
export type CancelRequest =
  | { id: string; reason?: string }
  | {
    type: string;
    statuses?: ("available" | "claimed" | "running")[];
    reason?: string;
  };

/** One job as `bft jobs show` prints it: its id, org, every prop, and its bookkeeping times. */
export interface JobDetail {
  id: string;
  org: string;
  createdAt: string;
  updatedAt: string;
  props: Record<string, unknown>;
}

/** The statuses a cancellation by type may be limited to. */
const CANCELLABLE = ["available", "claimed", "running"] as const;

function summarize(job: BfJob): JobSummary {
  return {
    id: job.id,
    org: job.metadata.bfOid,
    type: job.props.type,
    status: job.props.status,
    attempts: job.props.attempts,
    maxAttempts: job.props.maxAttempts,
    runAt: job.props.runAt ?? null,
    error: job.props.error ?? null,
    updatedAt: job.metadata.lastUpdated.toISOString(),
  };
}

/** Operator commands run against bfDb in this process; enqueue checks payloads against `schemas`. */
export function localOperatorCommands(
  schemas: ReadonlyMap<string, StandardSchemaV1>,
): OperatorCommands {
  return {
    async enqueue(request) {
      const schema = schemas.get(request.type);
      if (!schema) {
        const known = [...schemas.keys()].sort().join(", ");
        throw new OperatorError(
          `unknown job type ${
            JSON.stringify(request.type)
          }; known types: ${known}`,
        );
      }
      try {
        await parseWithSchema(request.type, schema, request.payload);
      } catch (error) {
        throw new OperatorError((error as Error).message);
      }
      // Absent means the system org; an empty or bad id is a mistake, never a silent default.
      let cv: CurrentViewer;
      try {
        cv = request.orgId === undefined
          ? CurrentViewer.system()
          : CurrentViewer.forOrg(request.orgId);
      } catch (error) {
        throw new OperatorError(
          `orgId: ${(error as Error).message.replace(/^.*?: /, "")}`,
        );
      }
      try {
        const job = await BfJob.create({
          type: request.type,
          payload: request.payload,
          runAt: request.runAt,
          priority: request.priority,
          maxAttempts: request.maxAttempts,
        }, cv);
        return { id: job.id };
      } catch (error) {
        if ((error as Error).name === "BfValidationError") {
          throw new OperatorError((error as Error).message);
        }
        throw error;
      }
    },
    status: () => jobStats(),
    async list(filter) {
      if (
        filter.status !== undefined &&
        !JOB_STATUSES.includes(filter.status as JobStatus)
      ) {
        throw new OperatorError(
          `status must be one of ${JOB_STATUSES.join(", ")}`,
        );
      }
      const jobs = await BfJob.list({
        status: filter.status as JobStatus | undefined,
        type: filter.type,
        limit: filter.limit,
      });
      return jobs.map(summarize);
    },
    async retry(selection) {
      if ("id" in selection) {
        const ok = await BfJob.retryFailed(selection.id);
        if (!ok) {
          throw new OperatorError(
            `no failed job with id ${JSON.stringify(selection.id)}`,
          );
        }
        return { retried: [selection.id] };
      }
      return { retried: await BfJob.retryAllFailed(selection.type) };
    },
    async cancel(request) {
      const reason = request.reason ?? "cancelled by operator";
      if (typeof reason !== "string" || reason.length === 0) {
        throw new OperatorError("reason must be a non-empty string");
      }
      if ("id" in request) {
        const cancelled = await BfJob.cancelJobs({ id: request.id }, reason);
        if (cancelled.length === 0) {
          const job = await BfJob.get(request.id);
          throw new OperatorError(
            job
              ? `job ${
                JSON.stringify(request.id)
              } is ${job.props.status}: only waiting or running jobs can be cancelled`
              : `no job with id ${JSON.stringify(request.id)}`,
          );
        }
        return { cancelled };
      }
      const statuses = request.statuses ?? [...CANCELLABLE];
      for (const status of statuses) {
        if (!(CANCELLABLE as readonly string[]).includes(status)) {
          throw new OperatorError(
            `status must be one of ${CANCELLABLE.join(", ")}, got ${
              JSON.stringify(status)
            }`,
          );
        }
      }
      return {
        cancelled: await BfJob.cancelJobs(
          { type: request.type, statuses },
          reason,
        ),
      };
    },
    async deleteJob({ id }) {
      const job = typeof id === "string" ? await BfJob.get(id) : null;
      if (!job) {
        throw new OperatorError(`no job with id ${JSON.stringify(id)}`);
      }
      if (!await deleteFinishedJob(job.id, job.metadata.bfOid)) {
        throw new OperatorError(
          `job ${
            JSON.stringify(id)
          } is ${job.props.status}: only finished jobs can be deleted (cancel it first)`,
        );
      }
      return { deleted: job.id };
    },
    async show({ id }) {
      const job = await BfJob.get(id);
      if (!job) {
        throw new OperatorError(`no job with id ${JSON.stringify(id)}`);
      }
      return {
        id: job.id,
        org: job.metadata.bfOid,
        createdAt: job.metadata.createdAt.toISOString(),
        updatedAt: job.metadata.lastUpdated.toISOString(),
        props: { ...job.props } as Record<string, unknown>,
      };
    },
    queues: () => queueOverview(),
    async setQueue({ name, ...patch }) {
      try {
        return await setQueueSettings(name, patch);
      } catch (error) {
        if (error instanceof TypeError || error instanceof RangeError) {
          throw new OperatorError(error.message);
        }
        throw error;
      }
    },
    schedules: () => BfJobSchedule.list(),
    async schedule({ name, action }) {
      const unknown = () =>
        new OperatorError(
          `no schedule named ${
            JSON.stringify(name)
          } (a worker stores its schedules when it starts)`,
        );
      if (action === "run") {
        const job = await BfJobSchedule.runNow(name);
        if (!job) throw unknown();
        return { name, jobId: job.id };
      }
      if (action !== "pause" && action !== "resume") {
        throw new OperatorError(
          `action must be pause, resume or run, got ${JSON.stringify(action)}`,
        );
      }
      if (!await BfJobSchedule.setPaused(name, action === "pause")) {
        throw unknown();
      }
      return { name };
    },
    async prune({ olderThanMs }) {
      return { deleted: await BfJob.pruneCompleted(olderThanMs) };
    },
    async migrate() {
      return { applied: await migrate(bfDb.backend) };
    },
  };
}
