/** Every status a job can be in. */
export const JOB_STATUSES = [
  "available",
  "claimed",
  "running",
  "completed",
  "failed",
] as const;

/** A job's status. */
export type JobStatus = typeof JOB_STATUSES[number];

/** The named transitions of the job state machine; each SQL operation in this folder performs one. */
export const JOB_TRANSITIONS = {
  claim: { from: ["available"], to: "claimed" },
  claimAndStart: { from: ["available"], to: "running" },
  start: { from: ["claimed"], to: "running" },
  complete: { from: ["claimed", "running"], to: "completed" },
  retry: { from: ["claimed", "running"], to: "available" },
  deadLetter: { from: ["claimed", "running"], to: "failed" },
  release: { from: ["claimed", "running"], to: "available" },
  reapToRetry: { from: ["claimed", "running"], to: "available" },
  reapToDeadLetter: { from: ["claimed", "running"], to: "failed" },
  operatorRetry: { from: ["failed"], to: "available" },
  operatorCancel: { from: ["available"], to: "failed" },
} as const satisfies Record<
  string,
  { from: readonly JobStatus[]; to: JobStatus }
>;

/** The name of one transition. */
export type JobTransition = keyof typeof JOB_TRANSITIONS;

/** The NOTIFY channel job creation signals on; the payload is the job type. */
export const JOB_CHANNEL = "bfdb_jobs";

/** The class name job rows carry. */
export const JOB_CLASS_NAME = "BfJob";
