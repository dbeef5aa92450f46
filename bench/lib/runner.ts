import type { SystemId } from "./args.ts";
import type { Sizes } from "./config.ts";
import { createFreshDb, type FreshDb } from "./db.ts";
import type { Variant } from "./plan.ts";
import type { System } from "../systems/system.ts";
import type { Metrics } from "../workloads/context.ts";

/** The outcome of one (scenario, system, repetition) on its own fresh database. */
export interface RunResult {
  variant: string;
  system: SystemId;
  rep: number;
  database: string;
  startedAt: string;
  /** The machine's 1-minute load average when the run started (other work skews figures). */
  load: number;
  ok: boolean;
  metrics: Metrics;
  error?: string;
}

function describe(m: Metrics): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(" ");
}

/** Runs one scenario for one system on a fresh database, dropped afterwards; never throws. */
async function runOne(
  variant: Variant,
  system: System,
  rep: number,
  sizes: Sizes,
  verbose: boolean,
): Promise<RunResult> {
  const tag = `[${variant.id} ${rep}/${
    variant.reps ?? sizes.reps
  }] ${system.id}`;
  console.error(`${tag} ...`);
  const base = {
    variant: variant.id,
    system: system.id,
    rep,
    startedAt: new Date().toISOString(),
    load: Deno.loadavg()[0],
  };
  let db: FreshDb | undefined;
  try {
    db = await createFreshDb(system.id);
    const ctx = { system, sizes, url: db.url, verbose };
    const metrics = await variant.run(ctx);
    console.error(`${tag}: ${describe(metrics)}`);
    return { ...base, database: db.name, ok: true, metrics };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    console.error(`${tag}: FAILED ${error}`);
    return { ...base, database: db?.name ?? "", ok: false, metrics: {}, error };
  } finally {
    await db?.drop().catch((e) =>
      console.error(`could not drop ${db?.name}: ${e}`)
    );
  }
}

/**
 * Runs every scenario `sizes.reps` times for every system, each run on a fresh database that
 * is dropped afterwards. Systems alternate within each repetition, and the order rotates
 * between repetitions, so drift of the machine falls on all alike.
 */
export async function runAll(
  variants: readonly Variant[],
  systems: readonly System[],
  sizes: Sizes,
  verbose: boolean,
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const variant of variants) {
    for (let rep = 1; rep <= (variant.reps ?? sizes.reps); rep++) {
      const order = systems.map((_, i) =>
        systems[(i + rep - 1) % systems.length]
      );
      for (const system of order) {
        if (variant.systems && !variant.systems.includes(system.id)) continue;
        results.push(await runOne(variant, system, rep, sizes, verbose));
      }
    }
  }
  return results;
}
