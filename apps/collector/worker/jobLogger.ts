import type { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { Logger } from "@bfmono/packages/logger/logger.ts";

/** A logger whose every line names the job: jobId, jobType, attempt. */
export function jobLogger(logger: Logger, job: BfJob): Logger {
  return logger.child({
    jobId: job.id,
    jobType: job.props.type,
    attempt: job.props.attempts,
  });
}
