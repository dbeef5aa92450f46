/** How a duty reports to the worker that runs it. */
export interface DutyHooks {
  /** A run failed or has not answered in `dutyTimeoutMs`: the database may be unreachable. */
  onError(duty: string, error: unknown): void;
  /** A run reached the database: it answers again. */
  onOk(): void;
  /** After this long without an answer a run is reported as failing (it is not abandoned). */
  dutyTimeoutMs: number;
}
