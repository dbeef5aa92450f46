import { storableJson } from "@bfmono/apps/bfDb/classes/jsonValue.ts";

/** The largest progress value, as UTF-8 JSON text: 4 KB. */
export const MAX_PROGRESS_BYTES = 4 * 1024;

/** At most one progress write per job per this many ms. */
export const PROGRESS_INTERVAL_MS = 1_000;

/**
 * Throttles one job's `ctx.progress(value)` calls to at most one write per interval, the latest
 * value winning: a call within the interval of the last write waits for the next one, which
 * carries whatever value is latest by then. `close()` writes a value still waiting, so the last
 * progress a handler reported is in the row before its job settles.
 */
export class ProgressReporter {
  readonly #write: (json: string) => Promise<void>;
  readonly #intervalMs: number;
  #lastWriteAt = -Infinity;
  #pending: string | undefined;
  #waiters: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #closed = false;

  constructor(
    write: (json: string) => Promise<void>,
    intervalMs = PROGRESS_INTERVAL_MS,
  ) {
    this.#write = write;
    this.#intervalMs = intervalMs;
  }

  /** Records `value` (checked first: a value that cannot be stored is a TypeError naming `progress`). */
  report(value: unknown): Promise<void> {
    const stored = storableJson(value, "progress", MAX_PROGRESS_BYTES);
    if ("problem" in stored) {
      return Promise.reject(new TypeError(stored.problem));
    }
    if (this.#closed) return Promise.resolve();
    this.#pending = stored.json;
    const written = new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#schedule();
    return written;
  }

  /** Writes a value still waiting and waits for the write in flight; later reports are dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    if (this.#pending !== undefined) await this.#flush();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#inFlight) return;
    const wait = this.#lastWriteAt + this.#intervalMs - performance.now();
    if (wait <= 0) {
      void this.#flush();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#flush();
    }, wait);
  }

  #flush(): Promise<void> {
    const json = this.#pending;
    const waiters = this.#waiters;
    this.#pending = undefined;
    this.#waiters = [];
    if (json === undefined) {
      for (const resolve of waiters) resolve();
      return Promise.resolve();
    }
    this.#lastWriteAt = performance.now();
    // Best effort: a failed write loses one progress value, never the job (the writer logs it).
    this.#inFlight = this.#write(json).catch(() => {}).finally(() => {
      this.#inFlight = undefined;
      for (const resolve of waiters) resolve();
      if (this.#pending !== undefined && !this.#closed) this.#schedule();
    });
    return this.#inFlight;
  }
}
