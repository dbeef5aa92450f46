/** A run of a duty took longer than its deadline; the run goes on, and the next waits for it. */
export class DutyTimeoutError extends Error {
  override name = "DutyTimeoutError";
  constructor(readonly duty: string, readonly ms: number) {
    super(`${duty}: no answer from the database in ${ms} ms`);
  }
}

/** Options of a {@linkcode Periodic} duty. */
export interface PeriodicOptions {
  /** Name for errors and logs. */
  name: string;
  intervalMs: number;
  run: () => Promise<void>;
  onError: (error: unknown) => void;
  /**
   * Reports a DutyTimeoutError through `onError` when a run has not settled after this long,
   * so an outage is seen while a query hangs. The run itself is not abandoned: the next one
   * starts only after it settles, so two runs of a duty never overlap in the database.
   */
  timeoutMs?: number;
}

/** A duty run every `intervalMs` (with jitter) until stopped; one run at a time, errors reported. */
export class Periodic {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;
  readonly #options: PeriodicOptions;

  constructor(options: PeriodicOptions) {
    this.#options = options;
  }

  /** Starts the duty; the first run comes after `firstDelayMs` (default: one interval). */
  start(firstDelayMs = this.#options.intervalMs): void {
    this.#schedule(firstDelayMs);
  }

  /** Whether a run is in progress. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#runOnce().finally(() => {
        this.#running = undefined;
        const { intervalMs } = this.#options;
        const jitter = intervalMs * 0.1 * (Math.random() - 0.5);
        this.#schedule(intervalMs + jitter);
      });
    }, Math.max(0, delayMs));
  }

  async #runOnce(): Promise<void> {
    const { name, run, onError, timeoutMs } = this.#options;
    const watchdog = timeoutMs === undefined ? undefined : setTimeout(
      () => onError(new DutyTimeoutError(name, timeoutMs)),
      timeoutMs,
    );
    try {
      await run();
    } catch (error) {
      onError(error);
    } finally {
      clearTimeout(watchdog);
    }
  }

  /** Stops scheduling and waits for a run in progress, at most `maxWaitMs` when given. */
  async stop(maxWaitMs?: number): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#running) return;
    if (maxWaitMs === undefined) return await this.#running;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#running,
      new Promise((resolve) => (timer = setTimeout(resolve, maxWaitMs))),
    ]);
    clearTimeout(timer);
  }
}
