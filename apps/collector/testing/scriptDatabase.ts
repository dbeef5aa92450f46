import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { openBackend } from "@bfmono/apps/bfDb/storage/openBackend.ts";

/**
 * What every test worker script does first: opens the database at DATABASE_URL (the embedded one
 * when unset), migrates it and gives it to bfDb.
 *
 * @example
 * ```ts
 * await useDatabaseFromEnv();
 * const worker = await startWorker({ handlers, schedules: [] });
 * ```
 */
export async function useDatabaseFromEnv(): Promise<void> {
  const backend = await openBackend({
    databaseUrl: Deno.env.get("DATABASE_URL"),
  });
  await migrate(backend);
  bfDb.use(backend);
}
