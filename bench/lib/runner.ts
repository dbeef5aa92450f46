import type { SystemId } from "./args.ts";
import type { Sizes } from "./config.ts";
import { createFreshDb } from "./db.ts";
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
  ok: boolean;
  metrics: Metrics;
  error?: string;
}

function describe(m: Metrics): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(" ");
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
    for (let rep = 1; rep <= sizes.reps; rep++) {
      const order = systems.map((_, i) =>
        systems[(i + rep - 1) % systems.length]
      );
      for (const system of order) {
        const startedAt = new Date().toISOString();
        const tag = `[${variant.id} ${rep}/${sizes.reps}] ${system.id}`;
        console.error(`${tag} ...`);
        const db = await createFreshDb(system.id);
        let result: RunResult;
        try {
          const metrics = await variant.run({
            system,
            sizes,
            url: db.url,
            verbose,
          });
          result = {
            variant: variant.id,
            system: system.id,
            rep,
            database: db.name,
            startedAt,
            ok: true,
            metrics,
          };
          console.error(`${tag}: ${describe(metrics)}`);
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          result = {
            variant: variant.id,
            system: system.id,
            rep,
            database: db.name,
            startedAt,
            ok: false,
            metrics: {},
            error,
          };
          console.error(`${tag}: FAILED ${error}`);
        } finally {
          await db.drop().catch((e) =>
            console.error(`could not drop ${db.name}: ${e}`)
          );
        }
        results.push(result);
      }
    }
  }
  return results;
}
