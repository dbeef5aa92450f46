import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { queueDepth } from "@bfmono/apps/bfDb/jobs/jobStats.ts";
import { queueOverview } from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import {
  type OperatorCommands,
  OperatorError,
} from "../ops/operatorCommands.ts";
import type { Worker } from "../worker/worker.ts";
import { type OperatorAccess, operatorRefusal } from "./operatorAccess.ts";

/** What the worker's HTTP server serves. */
export interface HttpServerOptions {
  port: number;
  worker: Worker;
  service: string;
  environment: string;
  logger: Logger;
  /** Operator routes under /ops/, served within `access`; omitted when absent. */
  operator?: OperatorCommands;
  /** Who may use the operator routes; default: loopback callers only, no token. */
  access?: OperatorAccess;
}

/** A running HTTP server. */
export interface RunningHttpServer {
  port: number;
  shutdown(): Promise<void>;
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

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Serves /health, /metrics and, to callers `access` admits, the operator routes. */
export function startHttpServer(
  options: HttpServerOptions,
): Promise<RunningHttpServer> {
  const { worker, service, environment, logger, operator } = options;
  const access = options.access ?? { hosts: [] };
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer;
    try {
      server = Deno.serve({
        port: options.port,
        hostname: "0.0.0.0",
        onListen: ({ port }) => {
          logger.info("health server listening", { port });
          resolve({ port, shutdown: () => server.shutdown() });
        },
        onError: (error) => {
          logger.error("http request failed", { error });
          return json(500, { error: "internal error" });
        },
      }, async (request, info) => {
        const url = new URL(request.url);
        if (request.method === "GET" && url.pathname === "/health") {
          const healthy = await databaseAnswers();
          return json(healthy ? 200 : 503, {
            status: healthy ? "healthy" : "unhealthy",
            timestamp: new Date().toISOString(),
            service,
            environment,
          });
        }
        if (request.method === "GET" && url.pathname === "/metrics") {
          const [depth, queues] = await Promise.all([
            queueDepth().catch(() => null),
            queueOverview().catch(() => null),
          ]);
          return new Response(worker.metrics.render(depth, queues), {
            headers: { "content-type": "text/plain; version=0.0.4" },
          });
        }
        if (operator && url.pathname.startsWith("/ops/")) {
          const refusal = operatorRefusal(request, info.remoteAddr, access);
          if (refusal) {
            logger.warn("operator request refused", {
              path: url.pathname,
              method: request.method,
              remote: (info.remoteAddr as Deno.NetAddr).hostname,
              reason: refusal.error,
            });
            return json(refusal.status, { error: refusal.error });
          }
          return await serveOperator(operator, request, url.pathname);
        }
        return json(404, { error: "not found" });
      });
    } catch (error) {
      reject(error);
    }
  });
}

async function serveOperator(
  operator: OperatorCommands,
  request: Request,
  path: string,
): Promise<Response> {
  try {
    if (request.method === "GET" && path === "/ops/status") {
      return json(200, await operator.status());
    }
    if (request.method !== "POST") return json(404, { error: "not found" });
    const body = await request.json().catch(() => {
      throw new OperatorError("the request body must be JSON");
    });
    switch (path) {
      case "/ops/enqueue":
        return json(200, await operator.enqueue(body));
      case "/ops/list":
        return json(200, await operator.list(body ?? {}));
      case "/ops/retry":
        return json(200, await operator.retry(body));
      case "/ops/cancel":
        return json(200, await operator.cancel(body));
      case "/ops/show":
        return json(200, await operator.show(body));
      case "/ops/queues":
        return json(200, await operator.queues());
      case "/ops/queue":
        return json(200, await operator.setQueue(body));
      case "/ops/schedules":
        return json(200, await operator.schedules());
      case "/ops/schedule":
        return json(200, await operator.schedule(body));
      case "/ops/prune":
        return json(200, await operator.prune(body));
      case "/ops/migrate":
        return json(200, await operator.migrate());
    }
    return json(404, { error: "not found" });
  } catch (error) {
    if (error instanceof OperatorError) {
      return json(400, { error: error.message });
    }
    return json(500, { error: (error as Error).message });
  }
}
