// Opens our graph store for a bench process, the way an application would.
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { openBackend } from "@bfmono/apps/bfDb/storage/openBackend.ts";
import {
  listenUrlSetting,
  poolerMode,
} from "@bfmono/apps/bfDb/storage/pooler.ts";
import { databaseUrl, envInt } from "./proto.ts";

/** The org bench jobs belong to. */
export const BENCH_ORG = "bench";

/**
 * Makes DATABASE_URL bfDb's backend (postgres.js connects lazily, on the first query), through
 * a pooler as DATABASE_POOLER says and listening at DATABASE_LISTEN_URL when given, as `bft
 * worker` reads them; a pool of DATABASE_POOL_SIZE when set, else `poolSize`.
 */
export async function useBenchBackend(poolSize = 10): Promise<void> {
  bfDb.use(
    await openBackend({
      databaseUrl: databaseUrl(),
      maxConnections: envInt("DATABASE_POOL_SIZE", poolSize),
      pooler: poolerMode(Deno.env.get("DATABASE_POOLER")),
      listenUrl: listenUrlSetting(Deno.env.get("DATABASE_LISTEN_URL")),
    }),
  );
}

/** Applies pending migrations (a no-op check when the schema is current). */
export async function migrateBench(): Promise<void> {
  await migrate(bfDb.backend);
}

/** Opens DATABASE_URL, makes it bfDb's backend, applies migrations; returns the bench viewer. */
export async function openBench(): Promise<CurrentViewer> {
  await useBenchBackend();
  await migrateBench();
  return CurrentViewer.forOrg(BENCH_ORG);
}
