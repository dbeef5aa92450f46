import { parseArgs } from "node:util";
import { FULL, QUICK, type Sizes } from "./config.ts";

/** Workload ids of issue 5. */
export const WORKLOADS = ["W1", "W2", "W3", "W4", "W5"] as const;
/** One workload id. */
export type WorkloadId = typeof WORKLOADS[number];
/** Systems the bench knows. */
export const SYSTEMS = ["ours", "graphile", "pgboss"] as const;
/** One system id. */
export type SystemId = typeof SYSTEMS[number];

/** What the command line asked for. */
export interface Options {
  quick: boolean;
  only: WorkloadId[];
  systems: SystemId[];
  sizes: Sizes;
  verbose: boolean;
  /** Also run W1 and W3 through a PgBouncer in transaction mode. */
  pooler: boolean;
  help: boolean;
}

/** Usage text for `deno task bench --help`. */
export const USAGE = `deno task bench [options]
  --quick            small sizes, 1 repetition, W4 depth 20,000 (+ 200,000 unserved; for
                     development)
  --only W1,W3       run only these workloads (W1 drain, W2 enqueue, W3 latency, W4 depth,
                     W5 sustained saturation)
  --systems a,b      run only these systems (ours, graphile, pgboss)
  --reps N           repetitions (default 3, quick 1)
  --depth N          W4 history size (default 1,000,000, quick 20,000)
  --unserved N       W4 waiting jobs of a type no worker serves (default 200,000, also quick)
  --drain N          W1/W4 backlog size
  --saturation S     W5 length in seconds (default 180, quick 30)
  --pooler           also W1 and W3 through a private PgBouncer in transaction mode (needs
                     pgbouncer: apt-get install pgbouncer)
  --verbose          echo the child processes' stderr`;

function list<T extends string>(
  raw: string | undefined,
  all: readonly T[],
  what: string,
): T[] {
  if (raw === undefined) return [...all];
  const picked = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const p of picked) {
    if (!all.includes(p as T)) {
      throw new Error(`unknown ${what} "${p}"; expected ${all.join(", ")}`);
    }
  }
  return picked as T[];
}

function count(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`--${name} must be a whole number, got ${raw}`);
  }
  return n;
}

/**
 * Parses the bench's command line.
 *
 * @example
 * ```ts
 * parseOptions(["--quick", "--only", "W1,W3"]).only; // ["W1", "W3"]
 * ```
 */
export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      systems: { type: "string" },
      reps: { type: "string" },
      depth: { type: "string" },
      unserved: { type: "string" },
      drain: { type: "string" },
      saturation: { type: "string" },
      verbose: { type: "boolean", default: false },
      pooler: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  const base = values.quick ? QUICK : FULL;
  const sizes: Sizes = {
    ...base,
    reps: count(values.reps, "reps") ?? base.reps,
    depth: count(values.depth, "depth") ?? base.depth,
    unservedJobs: count(values.unserved, "unserved") ?? base.unservedJobs,
    drainJobs: count(values.drain, "drain") ?? base.drainJobs,
    saturationSeconds: count(values.saturation, "saturation") ??
      base.saturationSeconds,
  };
  if (sizes.reps < 1) throw new Error("--reps must be at least 1");
  return {
    quick: values.quick,
    only: list(values.only?.toUpperCase(), WORKLOADS, "workload"),
    systems: list(values.systems, SYSTEMS, "system"),
    sizes,
    verbose: values.verbose,
    pooler: values.pooler,
    help: values.help,
  };
}
