import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import type { BfDbBackend } from "@bfmono/apps/bfDb/storage/BfDbBackend.ts";
import {
  databaseLocation,
  openBackend,
} from "@bfmono/apps/bfDb/storage/openBackend.ts";
import { EmbeddedDatabaseBusyError } from "@bfmono/apps/bfDb/storage/PgliteBackend.ts";
import { createLogger, type Logger } from "@bfmono/packages/logger/logger.ts";
import { ConfigError, loadConfig, type WorkerConfig } from "./config.ts";
import { installDriverGuard } from "@bfmono/apps/bfDb/storage/driverRejections.ts";
import {
  findLiveEmbeddedWorker,
  removeWorkerFile,
  workerFilePath,
  writeWorkerFile,
} from "./embeddedWorkerFile.ts";
import { type RunningHttpServer, startHttpServer } from "./httpServer.ts";
import { installShutdownSignals } from "./shutdownSignals.ts";
import {
  PRODUCT_SCHEDULES,
  productHandlers,
} from "../handlers/productHandlers.ts";
import type { ScheduleDefinition } from "../worker/schedule.ts";
import { checkScheduleDefinition } from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import { BfValidationError } from "@bfmono/apps/bfDb/errors.ts";
import { localOperatorCommands } from "../ops/operatorCommands.ts";
import { KNOWN_JOB_TYPES } from "../handlers/knownJobTypes.ts";
import { Worker } from "../worker/worker.ts";

const SERVICE = "collector";

const EMBEDDED_BUSY_MESSAGE =
  "bft worker: another process holds the embedded database (.bfdb/); " +
  "stop it, or set DATABASE_URL to share a PostgreSQL database between workers";

/**
 * Runs the worker process `bft worker` starts: validate the environment (exit 2 on a bad value),
 * open and migrate the database (waiting for it if it is down), serve /health and /metrics, run
 * jobs until SIGINT/SIGTERM, then stop gracefully and resolve 0 (see `shutdownSignals.ts` for a
 * second signal and for a stop that cannot finish).
 */
export async function runWorkerProcess(
  env = Deno.env.toObject(),
  options: { schedules?: readonly ScheduleDefinition[] } = {},
): Promise<number> {
  let config: WorkerConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`bft worker: configuration error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const extraSchedules = options.schedules ?? [];
  for (const schedule of [...PRODUCT_SCHEDULES, ...extraSchedules]) {
    try {
      checkScheduleDefinition(schedule);
    } catch (error) {
      if (!(error instanceof BfValidationError)) throw error;
      console.error(
        `bft worker: schedule ${
          JSON.stringify(schedule?.name)
        }: ${error.message}`,
      );
      return 2;
    }
  }
  const logger = createLogger({
    service: SERVICE,
    environment: config.environment,
    level: config.logLevel,
  });
  const embedded = !config.databaseUrl;
  const workerFile = workerFilePath(config.embeddedDataDir);
  if (embedded && await findLiveEmbeddedWorker(workerFile)) {
    console.error(EMBEDDED_BUSY_MESSAGE);
    return 2;
  }

  const shutdown = new AbortController();
  const uninstallSignals = installShutdownSignals({
    logger,
    graceMs: config.shutdownGraceMs,
    shutdown,
  });
  installDriverGuard(logger);

  try {
    // Chosen before connecting: each connection's application_name carries it, so
    // pg_stat_activity tells which worker holds which connections (unless PGAPPNAME names them,
    // as libpq's clients let an operator do).
    const workerId = `worker-${crypto.randomUUID()}`;
    const applicationName = env.PGAPPNAME?.trim() || `bft ${workerId}`;
    let backend: BfDbBackend | null;
    try {
      backend = await openAndMigrate(
        config,
        logger,
        shutdown.signal,
        applicationName,
      );
    } catch (error) {
      if (!(error instanceof EmbeddedDatabaseBusyError)) throw error;
      console.error(EMBEDDED_BUSY_MESSAGE);
      return 2;
    }
    if (!backend) return 0;
    bfDb.use(backend);
    const product = productHandlers(config, logger);
    const worker = new Worker({
      workerId,
      handlers: product.handlers,
      schedules: [...product.schedules, ...extraSchedules],
      config,
      logger,
    });
    const operator = localOperatorCommands(KNOWN_JOB_TYPES);
    // Listen before claiming anything: a port already taken must not strand claimed jobs.
    let http: RunningHttpServer;
    try {
      http = await startHttpServer({
        port: config.healthCheckPort,
        worker,
        service: SERVICE,
        environment: config.environment,
        logger,
        operator: embedded ? operator : undefined,
        dashboard: operator,
        access: config.operatorAccess,
      });
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      await bfDb.close();
      console.error(
        `bft worker: configuration error: HEALTH_CHECK_PORT ${config.healthCheckPort} is ` +
          "already in use; choose a free port, or 0 to pick one",
      );
      return 2;
    }
    await worker.start();
    if (embedded) {
      await writeWorkerFile({ pid: Deno.pid, port: http.port }, workerFile);
    }
    await new Promise((resolve) =>
      shutdown.signal.addEventListener("abort", resolve, { once: true })
    );
    await worker.stop();
    await http.shutdown();
    if (embedded) await removeWorkerFile(Deno.pid, workerFile);
    await bfDb.close();
    logger.info("worker exited cleanly");
    return 0;
  } finally {
    uninstallSignals();
  }
}

/**
 * Opens the database and migrates it, retrying with backoff while it is unreachable (one log
 * line per failed try: where, why, when the next). A shutdown signal ends the wait at once,
 * even in the middle of a connect that would take the whole connect timeout. The worker's
 * connections: a pool of `poolSize` whatever its concurrency, plus one for LISTEN, named
 * `applicationName` (and `<applicationName> listen`) in pg_stat_activity.
 */
async function openAndMigrate(
  config: WorkerConfig,
  logger: Logger,
  signal: AbortSignal,
  applicationName: string,
): Promise<BfDbBackend | null> {
  const aborted = new Promise<"aborted">((resolve) => {
    if (signal.aborted) resolve("aborted");
    signal.addEventListener("abort", () => resolve("aborted"), { once: true });
  });
  const where = databaseLocation(config.databaseUrl);
  for (let attempt = 1; !signal.aborted; attempt++) {
    let backend: BfDbBackend | undefined;
    const opening = (async () => {
      backend = await openBackend({
        databaseUrl: config.databaseUrl,
        embeddedDataDir: config.embeddedDataDir,
        maxConnections: config.poolSize,
        connectTimeoutMs: config.connectTimeoutMs,
        pooler: config.pooler,
        listenUrl: config.listenUrl,
        applicationName,
      });
      return { applied: await migrate(backend), backend };
    })();
    try {
      const outcome = await Promise.race([opening, aborted]);
      if (outcome === "aborted") {
        opening.then(({ backend }) => backend.close(), () => {}).catch(
          () => {},
        );
        return null;
      }
      logger.info("database ready", {
        backend: outcome.backend.kind,
        migrationsApplied: outcome.applied,
        ...(config.databaseUrl
          ? {
            poolSize: config.poolSize,
            pooler: config.pooler,
            listen: outcome.backend.notifications
              ? databaseLocation(config.listenUrl ?? config.databaseUrl)
              : "none: polling",
          }
          : {}),
      });
      return outcome.backend;
    } catch (error) {
      await (backend as BfDbBackend | undefined)?.close().catch(() => {});
      if (error instanceof EmbeddedDatabaseBusyError) throw error;
      const delay = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
      logger.error("database not ready; retrying", {
        database: where,
        error,
        attempt,
        retryInMs: delay,
      });
      await Promise.race([
        new Promise((resolve) => Deno.unrefTimer(setTimeout(resolve, delay))),
        aborted,
      ]);
    }
  }
  return null;
}
