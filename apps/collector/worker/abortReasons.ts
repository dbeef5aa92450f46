/** Why a running job's signal fired. */
export type AbortKind = "timeout" | "shutdown" | "lease-lost" | "cancelled";

/** The reason attached to a job's AbortSignal, so the runner knows what to do with the job. */
export class JobAbort extends Error {
  override name = "JobAbort";
  constructor(readonly kind: AbortKind, message: string) {
    super(message);
  }
}
