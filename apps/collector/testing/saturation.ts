/**
 * Sustained full load for tests, the bench and the chaos suite: a producer that keeps a few
 * thousand no-op jobs waiting for as long as it runs, and a no-op handler that counts how often
 * each job ran, so a test can prove from the handlers' side that nothing ran twice.
 *
 * @example
 * ```ts
 * const runs = new RunCounter();
 * const worker = await startWorker({ handlers: [noopHandler(runs)], config: { concurrency: 32 } });
 * const producer = startBacklogProducer({ cv, target: 3_000 });
 * await sleep(60_000);
 * await worker.stop();
 * await producer.stop();
 * assert.equal(runs.ranTwice().length, 0);
 * ```
 *
 * @module
 */
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import type { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { defineHandler, type JobHandler } from "../worker/handler.ts";

/** The job type of the no-op load. */
export const NOOP_TYPE = "noop";

/** How many times each job id ran in this process. */
export class RunCounter {
  readonly #runs = new Map<string, number>();

  /** Counts one run of `jobId`. */
  record(jobId: string): void {
    this.#runs.set(jobId, (this.#runs.get(jobId) ?? 0) + 1);
  }

  /** Runs counted, repeats included. */
  get total(): number {
    let total = 0;
    for (const n of this.#runs.values()) total += n;
    return total;
  }

  /** Distinct job ids that ran. */
  get ids(): string[] {
    return [...this.#runs.keys()];
  }

  /** Every run's job id, an id once per run. */
  runList(): string[] {
    return [...this.#runs].flatMap(([id, n]) => Array(n).fill(id));
  }

  /** Ids that ran more than once in this process. */
  ranTwice(): string[] {
    return [...this.#runs].filter(([, n]) => n > 1).map(([id]) => id);
  }
}

/** A handler of `noop` jobs that does nothing but count the run. */
export function noopHandler(
  runs: RunCounter,
): JobHandler<z.ZodType<{ i: number }>> {
  return defineHandler({
    type: NOOP_TYPE,
    schema: z.object({ i: z.number() }),
    process(_payload, ctx) {
      runs.record(ctx.jobId);
    },
  });
}

/** A running producer; `stop` ends it and says how many jobs it created. */
export interface BacklogProducer {
  stop(): Promise<{ created: number }>;
}

/** Options for {@linkcode startBacklogProducer}. */
export interface BacklogProducerOptions {
  cv: CurrentViewer;
  /** Waiting jobs to keep; default 3,000. */
  target?: number;
  /** Jobs per createMany; default 200. */
  batch?: number;
  /** Concurrent create loops; default 4. */
  loops?: number;
}

/**
 * Keeps about `target` `noop` jobs waiting: it counts the available ones every 100 ms, and its
 * loops top the queue up with createMany while it is short.
 */
export function startBacklogProducer(
  options: BacklogProducerOptions,
): BacklogProducer {
  const target = options.target ?? 3_000;
  const batch = options.batch ?? 200;
  let stopped = false;
  let created = 0;
  let waiting = 0;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const counter = (async () => {
    while (!stopped) {
      const [{ n }] = await bfDb.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM bfdb
         WHERE class_name = 'BfJob' AND props->>'status' = 'available'`,
      );
      waiting = Number(n);
      await pause(100);
    }
  })();
  const loops = Array.from({ length: options.loops ?? 4 }, async () => {
    while (!stopped) {
      if (waiting >= target) {
        await pause(10);
        continue;
      }
      waiting += batch;
      const jobs = Array.from({ length: batch }, (_, i) => ({
        type: NOOP_TYPE,
        payload: { i },
      }));
      await BfJob.createMany(jobs, options.cv);
      created += batch;
    }
  });
  const done = Promise.all([counter, ...loops]);
  return {
    async stop() {
      stopped = true;
      await done;
      return { created };
    },
  };
}

/** Deadlocks the server has counted in the current database. */
export async function deadlockCount(): Promise<number> {
  const [row] = await bfDb.query<{ n: number }>(
    `SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(row.n);
}
