import type { SystemId, WorkloadId } from "./args.ts";
import type { Metrics, RunContext } from "../workloads/context.ts";
import { startPgBouncer } from "@bfmono/apps/bfDb/testing/pgbouncer.ts";
import { runDrain } from "../workloads/drain.ts";
import { runEnqueue } from "../workloads/enqueue.ts";
import { runLatency } from "../workloads/latency.ts";
import { runSaturation } from "../workloads/saturation.ts";

/** One measured scenario of a workload, e.g. W1 with two worker processes. */
export interface Variant {
  id: string;
  workload: WorkloadId;
  title: string;
  run(ctx: RunContext): Promise<Metrics>;
  /** Repetitions when not `sizes.reps` (W5 runs for minutes, so once). */
  reps?: number;
  /** Only these systems run it (a feature the others lack); default all. */
  systems?: readonly SystemId[];
  /** Through a PgBouncer in transaction mode (only with `--pooler`). */
  pooler?: boolean;
}

/**
 * Runs `run` with the system's processes reaching the run's database through a private
 * PgBouncer in transaction mode (apps/bfDb/testing/pgbouncer.ts) started for this run, with
 * the settings the system needs there; `listen`: its LISTEN may go to the server directly.
 */
async function throughPooler(
  ctx: RunContext,
  listen: boolean,
  run: (ctx: RunContext) => Promise<Metrics>,
): Promise<Metrics> {
  const env = ctx.system.poolerEnv(ctx.url, listen);
  if (!env) {
    throw new Error(`${ctx.system.label} has no setting for this pooler run`);
  }
  await using bouncer = await startPgBouncer({ serverUrl: ctx.url });
  return await run({ ...ctx, pooler: { url: bouncer.urlFor(ctx.url), env } });
}

/** Every scenario of issue 5, in run order. */
export const VARIANTS: Variant[] = [
  {
    id: "W1",
    workload: "W1",
    title: "W1 drain, 1 worker",
    run: (c) => runDrain(c, 1, 0),
  },
  {
    id: "W1x2",
    workload: "W1",
    title: "W1 drain, 2 workers",
    run: (c) => runDrain(c, 2, 0),
  },
  {
    id: "W1limit",
    workload: "W1",
    title: "W1 drain, 1 worker, its queue at globalConcurrency 10",
    // graphile-worker and pg-boss have no global concurrency limit to set.
    systems: ["ours"],
    run: (c) => runDrain(c, 1, 0, 0, { globalConcurrency: 10 }),
  },
  {
    id: "W2single",
    workload: "W2",
    title: "W2 single creates",
    run: (c) => runEnqueue(c, "single"),
  },
  {
    id: "W2batch",
    workload: "W2",
    title: "W2 batch creates",
    run: (c) => runEnqueue(c, "batch"),
  },
  { id: "W3", workload: "W3", title: "W3 latency", run: (c) => runLatency(c) },
  {
    id: "W4",
    workload: "W4",
    title: "W4 drain at depth",
    run: (c) => runDrain(c, 1, c.sizes.depth, c.sizes.unservedJobs),
  },
  {
    id: "W5",
    workload: "W5",
    title: "W5 sustained saturation",
    run: (c) => runSaturation(c),
    reps: 1,
  },
  {
    id: "W1pool",
    workload: "W1",
    title: "W1 drain through PgBouncer (transaction mode), 1 worker",
    pooler: true,
    run: (c) => throughPooler(c, false, (p) => runDrain(p, 1, 0)),
  },
  {
    id: "W3pool",
    workload: "W3",
    title:
      "W3 latency through PgBouncer (transaction mode), no LISTEN: polling",
    pooler: true,
    run: (c) => throughPooler(c, false, runLatency),
  },
  {
    id: "W3poolListen",
    workload: "W3",
    title: "W3 latency through PgBouncer (transaction mode), LISTEN direct",
    pooler: true,
    // The peers LISTEN on a pool connection; neither has a setting for a direct one.
    systems: ["ours"],
    run: (c) => throughPooler(c, true, runLatency),
  },
];

/** The scenarios of the chosen workloads; the pooler ones only when `pooler` is asked for. */
export function planFor(
  only: readonly WorkloadId[],
  pooler = false,
): Variant[] {
  return VARIANTS.filter((v) =>
    only.includes(v.workload) && (pooler || !v.pooler)
  );
}
