/** A duty run every `intervalMs` (with jitter) until stopped; one run at a time, errors reported. */
export class Periodic {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts the duty; the first run comes after `firstDelayMs` (default: one interval). */
  start(firstDelayMs = this.intervalMs): void {
    this.#schedule(firstDelayMs);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.run().catch(this.onError).finally(() => {
        this.#running = undefined;
        const jitter = this.intervalMs * 0.1 * (Math.random() - 0.5);
        this.#schedule(this.intervalMs + jitter);
      });
    }, Math.max(0, delayMs));
  }

  /** Stops scheduling and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
