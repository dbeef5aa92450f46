import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { queueDepth } from "@bfmono/apps/bfDb/jobs/jobStats.ts";
import { queueOverview } from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import type { OperatorCommands } from "../ops/operatorCommands.ts";
import type { Worker } from "../worker/worker.ts";
import type { OperatorAccess } from "../web/operatorAccess.ts";
import {
  type RunningHttpServer,
  serveWeb,
  webRoutes,
} from "../web/webRoutes.ts";

export type { RunningHttpServer };

/** What the worker's HTTP server serves. */
export interface HttpServerOptions {
  port: number;
  worker: Worker;
  service: string;
  environment: string;
  logger: Logger;
  /** Operator routes under /ops/, served within `access`; omitted when absent. */
  operator?: OperatorCommands;
  /** The dashboard under /dashboard, whose actions run these commands; omitted when absent. */
  dashboard?: OperatorCommands;
  /** Who may use the operator routes and the dashboard; default: loopback callers only, no token. */
  access?: OperatorAccess;
}

const DATABASE_CHECK_TIMEOUT_MS = 2_000;

async function databaseAnswers(): Promise<boolean> {
  try {
    await Promise.race([
      bfDb.query("SELECT 1"),
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error("timeout")),
          DATABASE_CHECK_TIMEOUT_MS,
        )
      ),
    ]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Serves /health, /metrics and, to callers `access` admits, the operator routes and the
 * dashboard.
 */
export async function startHttpServer(
  options: HttpServerOptions,
): Promise<RunningHttpServer> {
  const { worker, service, environment, logger } = options;
  const app = await webRoutes({
    operator: options.operator,
    dashboard: options.dashboard,
    access: options.access ?? { hosts: [] },
    logger,
  });
  app.get("/health", async (c) => {
    const healthy = await databaseAnswers();
    return c.json({
      status: healthy ? "healthy" : "unhealthy",
      timestamp: new Date().toISOString(),
      service,
      environment,
    }, healthy ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    const [depth, queues] = await Promise.all([
      queueDepth().catch(() => null),
      queueOverview().catch(() => null),
    ]);
    return c.body(worker.metrics.render(depth, queues), 200, {
      "content-type": "text/plain; version=0.0.4",
    });
  });
  return await serveWeb(app, options.port, logger);
}
