/**
 * A steady producer: enqueues `track_usage` jobs with `BfJob.create` at a fixed rate, through
 * whatever backend `bfDb` uses. It survives the database being down: a create that fails is
 * counted and tried again (as a new job) after a short backoff, and the producer catches up to
 * its schedule once the database answers. A create that threw, or did not answer in time, may
 * or may not have committed, so the suite reads the table at the end for the truth; these
 * counts only bound it (`ok <= rows <= ok + failed + timedOut`).
 *
 * @example
 * ```ts
 * const producer = new Producer({ ratePerSecond: 50, cv: CurrentViewer.forOrg("chaos") });
 * producer.start();
 * await producer.stop();
 * producer.stats; // { ok, failed, timedOut, ... }
 * ```
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";

/** Options for {@linkcode Producer}. */
export interface ProducerOptions {
  /** Jobs per second. */
  ratePerSecond: number;
  /** The viewer jobs are created as. */
  cv: CurrentViewer;
  /** Creates in flight at once (only reached while catching up). Default 8. */
  maxInFlight?: number;
  /** A create unanswered this long counts as timed out (it may still commit). Default 10 s. */
  createTimeoutMs?: number;
}

/** What the producer saw. */
export interface ProducerStats {
  /** Creates that resolved: these rows are committed. */
  ok: number;
  /** Creates that threw: committed or not. */
  failed: number;
  /** Creates unanswered within the timeout: committed or not. */
  timedOut: number;
  /** The first few distinct error messages, for the report. */
  errors: string[];
  /** Creates still unanswered when `stop` gave up waiting for them. */
  unsettledAtStop: number;
}

const TICK_MS = 20;

/** The steady producer; see the module doc. */
export class Producer {
  readonly stats: ProducerStats = {
    ok: 0,
    failed: 0,
    timedOut: 0,
    errors: [],
    unsettledAtStop: 0,
  };
  readonly #options: Required<ProducerOptions>;
  readonly #pending = new Set<Promise<void>>();
  /** Every create not yet settled, timed out or not: one may still commit. */
  readonly #creates = new Set<Promise<unknown>>();
  #stopped = false;
  #loop: Promise<void> | undefined;
  #startedAt = 0;
  #stoppedAt = 0;
  #backoffMs = 0;
  #pauseUntil = 0;
  #seq = 0;
  /** Jobs the saturation loop committed: outside the steady schedule. */
  #saturated = 0;

  constructor(options: ProducerOptions) {
    this.#options = { maxInFlight: 8, createTimeoutMs: 10_000, ...options };
  }

  /** Epoch ms when production started (0 before). */
  get startedAt(): number {
    return this.#startedAt;
  }

  /** Epoch ms when production stopped (0 before). */
  get stoppedAt(): number {
    return this.#stoppedAt;
  }

  /** Starts enqueuing. */
  start(): void {
    this.#startedAt = Date.now();
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const { ratePerSecond, maxInFlight } = this.#options;
    while (!this.#stopped) {
      const due = Math.floor(
        (Date.now() - this.#startedAt) * ratePerSecond / 1000,
      );
      while (
        !this.#stopped && Date.now() >= this.#pauseUntil &&
        this.stats.ok - this.#saturated + this.#pending.size < due &&
        this.#pending.size < maxInFlight
      ) {
        this.#launch();
      }
      await sleep(TICK_MS);
    }
  }

  /**
   * Besides the steady rate, keeps about `target` jobs waiting, topping the queue up with
   * `createMany` batches, so the workers run flat out (the saturation scenario); counted in the
   * same stats, a batch at a time. Resolves the returned function's promise once it stopped.
   */
  saturate(target: number, batch = 200): () => Promise<void> {
    let on = true;
    let waiting = 0;
    const counter = (async () => {
      while (on && !this.#stopped) {
        try {
          const [row] = await bfDb.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM bfdb_jobs_active
             WHERE status = 'available'`,
          );
          waiting = Number(row.n);
        } catch {
          // the next count will do
        }
        await sleep(100);
      }
    })();
    const loop = (async () => {
      while (on && !this.#stopped) {
        if (waiting >= target) {
          await sleep(10);
          continue;
        }
        waiting += batch;
        const inputs = Array.from({ length: batch }, () => this.#job());
        const create = BfJob.createMany(inputs, this.#options.cv);
        const settled = create.then(() => {}, () => {}).finally(() =>
          this.#creates.delete(settled)
        );
        this.#creates.add(settled);
        try {
          await create;
          this.stats.ok += batch;
          this.#saturated += batch;
        } catch (error) {
          this.stats.failed += batch;
          this.#noteError(
            error instanceof Error ? error.message : String(error),
          );
          await sleep(250);
        }
      }
    })();
    return async () => {
      on = false;
      await Promise.all([counter, loop]);
    };
  }

  /** The next job's input: a track_usage event numbered in order. */
  #job() {
    const seq = ++this.#seq;
    return {
      type: "track_usage",
      payload: {
        event: { event: "chaos", distinctId: "p1", properties: { seq } },
      },
    };
  }

  #launch(): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const create = BfJob.create(this.#job(), this.#options.cv);
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(
        () => resolve("timeout"),
        this.#options.createTimeoutMs,
      );
    });
    const done = Promise.race([create.then(() => "ok" as const), timeout]).then(
      (outcome) => {
        if (outcome === "ok") {
          this.stats.ok++;
          this.#backoffMs = 0;
        } else {
          this.stats.timedOut++;
          this.#noteError("create did not answer in time");
        }
      },
      (error) => {
        this.stats.failed++;
        this.#noteError(error instanceof Error ? error.message : String(error));
        this.#backoffMs = Math.min(1_000, Math.max(100, this.#backoffMs * 2));
        this.#pauseUntil = Date.now() + this.#backoffMs;
      },
    ).finally(() => {
      clearTimeout(timer);
      this.#pending.delete(done);
    });
    // A create that timed out may still commit later; `stop` waits for it.
    const settled = create.then(() => {}, () => {}).finally(() =>
      this.#creates.delete(settled)
    );
    this.#creates.add(settled);
    this.#pending.add(done);
  }

  #noteError(message: string): void {
    if (this.stats.errors.length < 5 && !this.stats.errors.includes(message)) {
      this.stats.errors.push(message);
    }
  }

  /**
   * Stops enqueuing and waits until every create has settled, even those counted as timed
   * out (so no job appears after the suite has drained the queue), at most `waitMs`.
   */
  async stop(waitMs = 60_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stoppedAt = Date.now();
    await this.#loop;
    await Promise.all([...this.#pending]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.#creates]),
      new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
    this.stats.unsettledAtStop = this.#creates.size;
  }
}
