// Opens our graph store for a bench process, the way an application would.
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { openBackend } from "@bfmono/apps/bfDb/storage/openBackend.ts";
import { databaseUrl } from "./proto.ts";

/** The org bench jobs belong to. */
export const BENCH_ORG = "bench";

/** Makes DATABASE_URL bfDb's backend (postgres.js connects lazily, on the first query). */
export async function useBenchBackend(): Promise<void> {
  bfDb.use(await openBackend({ databaseUrl: databaseUrl() }));
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
