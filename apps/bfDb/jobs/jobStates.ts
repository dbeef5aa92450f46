/** Every status a job can be in. */
export const JOB_STATUSES = [
  "available",
  "claimed",
  "running",
  "completed",
  "failed",
  "cancelled",
] as const;

/** A job's status. */
export type JobStatus = typeof JOB_STATUSES[number];

/**
 * The named transitions of the job state machine: the source of truth for every status the job
 * SQL reads or writes. Each SQL operation in this folder declares the transitions it performs
 * (`performs`), and `jobStates.test.ts` fails when one of its status literals is neither a source
 * nor the target of them.
 */
export const JOB_TRANSITIONS = {
  claim: { from: ["available"], to: "claimed" },
  claimAndStart: { from: ["available"], to: "running" },
  start: { from: ["claimed"], to: "running" },
  complete: { from: ["claimed", "running"], to: "completed" },
  retry: { from: ["claimed", "running"], to: "available" },
  deadLetter: { from: ["claimed", "running"], to: "failed" },
  release: { from: ["claimed", "running"], to: "available" },
  reapUnstarted: { from: ["claimed"], to: "available" },
  reapToRetry: { from: ["claimed", "running"], to: "available" },
  reapToDeadLetter: { from: ["claimed", "running"], to: "failed" },
  operatorRetry: { from: ["failed", "cancelled"], to: "available" },
  /** A handler returned `snooze(ms)`: back to waiting, the attempt not counted. */
  snooze: { from: ["claimed", "running"], to: "available" },
  /** A waiting job is cancelled before any worker took it. */
  cancelWaiting: { from: ["available"], to: "cancelled" },
  /** A held job is cancelled; its worker is told to abort, and its late settle is refused. */
  cancelInFlight: { from: ["claimed", "running"], to: "cancelled" },
} as const satisfies Record<
  string,
  { from: readonly JobStatus[]; to: JobStatus }
>;

/** The name of one transition. */
export type JobTransition = keyof typeof JOB_TRANSITIONS;

/** Statuses a job waits or runs in; such jobs live in `bfdb_jobs_active`. */
export const ACTIVE_STATUSES = ["available", "claimed", "running"] as const;

/** The table each status lives in: active jobs in one table, finished ones in two by outcome. */
export const JOB_TABLE_OF: Record<JobStatus, string> = {
  available: "bfdb_jobs_active",
  claimed: "bfdb_jobs_active",
  running: "bfdb_jobs_active",
  completed: "bfdb_jobs_completed",
  failed: "bfdb_jobs_failed",
  cancelled: "bfdb_jobs_failed",
};

/**
 * The NOTIFY channel job creation signals on; the payload is the job's type and queue (see
 * {@linkcode JOB_NOTICE_SQL}), or empty for "look again" without a job in particular.
 */
export const JOB_CHANNEL = "bfdb_jobs";

/**
 * A {@linkcode JOB_CHANNEL} payload built in SQL from columns `type` and `queue`: the type, a
 * tab, the queue (neither may hold a control character, so the tab is unambiguous).
 */
export const JOB_NOTICE_SQL = "type || chr(9) || queue";

/** Reads a {@linkcode JOB_CHANNEL} payload: the job's type and queue, when it names them. */
export function parseJobNotice(
  payload: string,
): { type: string; queue: string | undefined } {
  const tab = payload.indexOf("\t");
  return tab < 0
    ? { type: payload, queue: undefined }
    : { type: payload.slice(0, tab), queue: payload.slice(tab + 1) };
}

/** The NOTIFY channel cancellations of held jobs signal on; the payload is the holder's worker id. */
export const JOB_CANCEL_CHANNEL = "bfdb_job_cancels";

/** The class name job rows carry. */
export const JOB_CLASS_NAME = "BfJob";
