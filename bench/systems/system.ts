import type { SystemId } from "../lib/args.ts";
import type { Sql } from "../lib/db.ts";
import type { Spawn } from "../lib/proc.ts";

/** Environment handed to every bench process: DATABASE_URL plus BENCH_* knobs. */
export type BenchEnv = Record<string, string>;

/** What the harness needs to know to run one queue system. */
export interface System {
  id: SystemId;
  /** Name and version as shown in the report. */
  label: string;
  /** How W4's history was built for this system (shown under the table). */
  historyNote: string;
  /** How the system is configured for the bench (shown under the table). */
  configNote(concurrency: number): string;
  /** Why the system cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  /** Installs the schema (and, with BENCH_DEPTH, the W4 history); prints "done". */
  setup(env: BenchEnv): Spawn;
  /** Enqueues per BENCH_MODE (single | batch | latency); prints "done". */
  enqueue(env: BenchEnv): Spawn;
  /** A worker process per BENCH_MODE (drain | latency); see bench/peers/lib/worker.mjs. */
  worker(env: BenchEnv): Spawn;
  /** W5: producer and worker in one process on one pool; see bench/peers/lib/saturate.mjs. */
  saturate(env: BenchEnv): Spawn;
  /**
   * What the system's processes need behind a transaction pooler (environment for its scripts),
   * given the direct URL and whether a direct LISTEN connection may be used; undefined when
   * the system cannot run there (or cannot LISTEN elsewhere, when `listen` is asked for).
   */
  poolerEnv(
    directUrl: string,
    listen: boolean,
  ): Record<string, string> | undefined;
  /** How the system is set up behind the pooler (shown under the table). */
  poolerNote: string;
  /** Limits the bench's queue to `globalConcurrency` jobs at once across workers, if it can. */
  limitQueue?(url: string, globalConcurrency: number): Promise<void>;
  /** Jobs not yet completed, by a query cheap enough to poll. */
  remaining(sql: Sql): Promise<number>;
}

/** Absolute path of a file under bench/. */
export function benchPath(rel: string): string {
  return new URL(`../${rel}`, import.meta.url).pathname;
}

/** The repository root (where deno.json lives). */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** A Node bench script under bench/peers/. */
export function nodeScript(
  script: string,
  env: BenchEnv,
  label: string,
): Spawn {
  return {
    cmd: "node",
    args: [benchPath(`peers/${script}`)],
    env,
    label,
    cwd: REPO_ROOT,
  };
}
