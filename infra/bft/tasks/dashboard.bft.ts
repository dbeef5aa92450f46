import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs, parseInteger } from "@bfmono/infra/bft/args.ts";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import {
  databaseLocation,
  openBackend,
} from "@bfmono/apps/bfDb/storage/openBackend.ts";
import {
  ConfigError,
  databaseConnectionFromEnv,
  databaseUrlFromEnv,
  embeddedDataDirFromEnv,
  operatorAccessFromEnv,
} from "@bfmono/apps/collector/process/config.ts";
import {
  findLiveEmbeddedWorker,
  workerFilePath,
} from "@bfmono/apps/collector/process/embeddedWorkerFile.ts";
import { KNOWN_JOB_TYPES } from "@bfmono/apps/collector/handlers/knownJobTypes.ts";
import { localOperatorCommands } from "@bfmono/apps/collector/ops/operatorCommands.ts";
import { serveWeb, webRoutes } from "@bfmono/apps/collector/web/webRoutes.ts";
import { createLogger } from "@bfmono/packages/logger/logger.ts";

/** The port `bft dashboard` listens on unless told otherwise. */
const DEFAULT_PORT = 8081;

/**
 * `bft dashboard [--port N]`: serves the operators' dashboard against DATABASE_URL, under the
 * same access rules as a worker's (DASHBOARD_TOKEN, DASHBOARD_HOSTS, DASHBOARD_READONLY), until
 * SIGINT or SIGTERM. On the embedded database the dashboard is the running worker's: this says
 * where it is.
 */
export const bftTask: BftTask = {
  name: "dashboard",
  description:
    "Serve the operators' dashboard (queues, jobs, schedules, workers) against DATABASE_URL",
  usage: "dashboard [--port N]",
  run: async (args) => {
    const { flags } = parseArgs(args, { string: ["port"], maxPositionals: 0 });
    const port = flags.port === undefined
      ? DEFAULT_PORT
      : parseInteger(flags.port, "--port", 0, 65_535);
    let databaseUrl: string | undefined;
    let access;
    let connection;
    try {
      databaseUrl = databaseUrlFromEnv();
      access = operatorAccessFromEnv();
      connection = databaseConnectionFromEnv();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(`error: ${error.message}`);
      return 2;
    }
    if (!databaseUrl) {
      const worker = await findLiveEmbeddedWorker(
        workerFilePath(embeddedDataDirFromEnv()),
      );
      if (!worker) {
        console.error(
          "error: on the embedded database the dashboard is the worker's; start it with " +
            "`bft worker` and open /dashboard on its HEALTH_CHECK_PORT (or set DATABASE_URL)",
        );
        return 1;
      }
      console.log(
        `the embedded worker serves the dashboard: ${new URL(
          "/dashboard",
          worker,
        )}`,
      );
      return 0;
    }
    const logger = createLogger({ service: "dashboard", environment: "ops" });
    try {
      // Behind a transaction pooler: nothing prepared (see README, "Connections and poolers").
      const backend = await openBackend({
        databaseUrl,
        maxConnections: 4,
        pooler: connection.pooler,
      });
      await migrate(backend).catch(async (error) => {
        await backend.close().catch(() => {});
        throw error;
      });
      bfDb.use(backend);
    } catch (error) {
      console.error(
        `error: cannot use the database at ${databaseLocation(databaseUrl)}: ${
          (error as Error).message
        }`,
      );
      return 1;
    }
    try {
      const app = await webRoutes({
        dashboard: localOperatorCommands(KNOWN_JOB_TYPES),
        access,
        logger,
      });
      let server;
      try {
        server = await serveWeb(app, port, logger, "dashboard listening");
      } catch (error) {
        if (!(error instanceof Deno.errors.AddrInUse)) throw error;
        console.error(
          `error: port ${port} is in use; choose another with --port`,
        );
        return 2;
      }
      console.log(`dashboard: http://127.0.0.1:${server.port}/dashboard`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          Deno.removeSignalListener("SIGINT", stop);
          Deno.removeSignalListener("SIGTERM", stop);
          resolve();
        };
        Deno.addSignalListener("SIGINT", stop);
        Deno.addSignalListener("SIGTERM", stop);
      });
      await server.shutdown();
      return 0;
    } finally {
      await bfDb.close();
    }
  },
};
