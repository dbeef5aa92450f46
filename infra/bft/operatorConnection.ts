import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import type { BfDbBackend } from "@bfmono/apps/bfDb/storage/BfDbBackend.ts";
import {
  databaseLocation,
  openBackend,
} from "@bfmono/apps/bfDb/storage/openBackend.ts";
import { EmbeddedDatabaseBusyError } from "@bfmono/apps/bfDb/storage/PgliteBackend.ts";
import type { PoolerMode } from "@bfmono/apps/bfDb/storage/pooler.ts";
import {
  ConfigError,
  dashboardTokenFromEnv,
  databaseConnectionFromEnv,
  databaseUrlFromEnv,
  embeddedDataDirFromEnv,
} from "@bfmono/apps/collector/process/config.ts";
import {
  findLiveEmbeddedWorker,
  workerFilePath,
} from "@bfmono/apps/collector/process/embeddedWorkerFile.ts";
import { KNOWN_JOB_TYPES } from "@bfmono/apps/collector/handlers/knownJobTypes.ts";
import {
  localOperatorCommands,
  type OperatorCommands,
  OperatorError,
} from "@bfmono/apps/collector/ops/operatorCommands.ts";
import { httpOperatorCommands } from "@bfmono/apps/collector/ops/operatorHttpClient.ts";

/**
 * Runs `fn` with operator commands reaching the right database: PostgreSQL at `DATABASE_URL`;
 * else the live worker holding the embedded database, over its local HTTP port (PGlite admits
 * one process); else the embedded database opened here, migrated first unless `migrate` is
 * false. An OperatorError, or a bad DATABASE_URL or BFDB_DATA_DIR, prints one line and exits 2.
 */
export async function withOperator(
  fn: (ops: OperatorCommands) => Promise<number>,
  options: { migrate?: boolean } = {},
): Promise<number> {
  try {
    const databaseUrl = databaseUrlFromEnv();
    const { pooler } = databaseConnectionFromEnv();
    const embeddedDataDir = embeddedDataDirFromEnv();
    const workerFile = workerFilePath(embeddedDataDir);
    if (!databaseUrl) {
      const worker = await findLiveEmbeddedWorker(workerFile);
      if (worker) {
        return await fn(httpOperatorCommands(worker, dashboardTokenFromEnv()));
      }
    }
    let backend: Awaited<ReturnType<typeof openBackendOrWorker>>;
    try {
      backend = await openBackendOrWorker(
        databaseUrl,
        embeddedDataDir,
        workerFile,
        pooler,
      );
      if (typeof backend !== "string") {
        const opened = backend;
        await (options.migrate !== false
          ? migrate(opened)
          : opened.query("SELECT 1")).catch(async (error) => {
            await opened.close().catch(() => {});
            throw error;
          });
      }
    } catch (error) {
      if (error instanceof OperatorError || error instanceof ConfigError) {
        throw error;
      }
      // One line, not a stack: the database is down, unreachable, or refuses us.
      console.error(
        `error: cannot use the database at ${databaseLocation(databaseUrl)}: ${
          (error as Error).message ?? String(error)
        }`,
      );
      return 1;
    }
    if (typeof backend === "string") {
      return await fn(httpOperatorCommands(backend, dashboardTokenFromEnv()));
    }
    try {
      bfDb.use(backend);
      return await fn(localOperatorCommands(KNOWN_JOB_TYPES));
    } finally {
      await bfDb.close();
    }
  } catch (error) {
    if (error instanceof OperatorError || error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

const WORKER_STARTUP_WAIT_MS = 60_000;

/**
 * Opens the database; when the embedded one is held by a worker that is still starting, waits
 * for that worker's operator port instead and returns its base URL.
 */
async function openBackendOrWorker(
  databaseUrl: string | undefined,
  embeddedDataDir: string,
  workerFile: string,
  pooler: PoolerMode,
): Promise<BfDbBackend | string> {
  const deadline = Date.now() + WORKER_STARTUP_WAIT_MS;
  while (true) {
    try {
      return await openBackend({
        databaseUrl,
        embeddedDataDir,
        maxConnections: 2,
        pooler,
      });
    } catch (error) {
      if (
        !(error instanceof EmbeddedDatabaseBusyError) || Date.now() > deadline
      ) throw error;
    }
    const worker = await findLiveEmbeddedWorker(workerFile);
    if (worker) return worker;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
