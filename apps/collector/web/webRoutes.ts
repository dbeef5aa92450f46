import { Hono } from "hono";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import type { OperatorCommands } from "../ops/operatorCommands.ts";
import { databaseReads } from "./dashboard/dashboardReads.ts";
import { dashboardRoutes } from "./dashboard/dashboardRoutes.tsx";
import type { OperatorAccess } from "./operatorAccess.ts";
import { operatorRoutes } from "./operatorRoutes.ts";
import type { WebEnv } from "./webEnv.ts";

/** What the operators' web routes serve. */
export interface WebRoutesOptions {
  /** The JSON routes under `/ops/` (`bft` reaching an embedded worker); omitted: none. */
  operator?: OperatorCommands;
  /** The dashboard under `/dashboard` (its actions run these commands); omitted: none. */
  dashboard?: OperatorCommands;
  /** Who may use either (DASHBOARD_TOKEN, DASHBOARD_HOSTS, DASHBOARD_READONLY). */
  access: OperatorAccess;
  logger: Logger;
}

/**
 * The routes operators use over HTTP: `/ops/` for `bft`, `/dashboard` for people (`/` leads
 * there), each under the same access rules. The worker's server adds `/health` and `/metrics`;
 * `bft dashboard` serves these alone.
 */
export async function webRoutes(
  options: WebRoutesOptions,
): Promise<Hono<WebEnv>> {
  const app = new Hono<WebEnv>();
  if (options.operator) {
    app.route(
      "/ops",
      operatorRoutes(options.operator, options.access, options.logger),
    );
  }
  if (options.dashboard) {
    app.get("/", (c) => c.redirect("/dashboard", 303));
    app.route(
      "/dashboard",
      await dashboardRoutes({
        reads: databaseReads(options.dashboard),
        operator: options.dashboard,
        access: options.access,
        logger: options.logger,
      }),
    );
  }
  app.notFound((c) => c.json({ error: "not found" }, 404));
  return app;
}

/** A running HTTP server. */
export interface RunningHttpServer {
  port: number;
  shutdown(): Promise<void>;
}

/**
 * Serves `app` on `port` (0: a free one) on every interface, each request bound to its
 * caller's address; resolves once listening, rejects when the port cannot be had.
 */
export function serveWeb(
  app: Hono<WebEnv>,
  port: number,
  logger: Logger,
  listeningMessage = "health server listening",
): Promise<RunningHttpServer> {
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer;
    try {
      server = Deno.serve(
        {
          port,
          hostname: "0.0.0.0",
          onListen: ({ port }) => {
            logger.info(listeningMessage, { port });
            resolve({ port, shutdown: () => server.shutdown() });
          },
          onError: (error) => {
            logger.error("http request failed", { error });
            return Response.json({ error: "internal error" }, { status: 500 });
          },
        },
        (request, info) => app.fetch(request, { remoteAddr: info.remoteAddr }),
      );
    } catch (error) {
      reject(error);
    }
  });
}
