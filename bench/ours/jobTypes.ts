// The job types and queue of our bench jobs, in a module of their own so the harness
// (bench/systems/ours.ts) can read them without loading bfDb.

/** Job type every bench job uses (the one type the bench worker serves). */
export const JOB_TYPE = "noop";

/** Job type of W4's waiting jobs that no bench worker serves. */
export const UNSERVED_TYPE = "unserved";

/** The queue bench jobs go to: our producers' default (DEFAULT_QUEUE in apps/bfDb/jobs). */
export const BENCH_QUEUE = "default";
