import { Hono } from "hono";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import {
  type OperatorCommands,
  OperatorError,
} from "../ops/operatorCommands.ts";
import { type OperatorAccess, operatorRefusal } from "./operatorAccess.ts";
import { remoteAddressOf, type WebEnv } from "./webEnv.ts";

/** The operator commands `bft` sends over HTTP, by path under `/ops/`, all POST with JSON. */
const COMMANDS: Record<
  string,
  (operator: OperatorCommands, body: never) => Promise<unknown>
> = {
  enqueue: (o, body) => o.enqueue(body),
  list: (o, body) => o.list(body ?? {}),
  retry: (o, body) => o.retry(body),
  cancel: (o, body) => o.cancel(body),
  delete: (o, body) => o.deleteJob(body),
  show: (o, body) => o.show(body),
  queues: (o) => o.queues(),
  queue: (o, body) => o.setQueue(body),
  schedules: (o) => o.schedules(),
  schedule: (o, body) => o.schedule(body),
  prune: (o, body) => o.prune(body),
  migrate: (o) => o.migrate(),
};

/**
 * The JSON routes under `/ops/` that `bft` uses to reach a worker (the embedded database admits
 * one process), each checked by `access` before it runs (see `operatorAccess.ts`); a refusal is
 * logged with the path, the caller and the reason.
 */
export function operatorRoutes(
  operator: OperatorCommands,
  access: OperatorAccess,
  logger: Logger,
): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.use("*", async (c, next) => {
    const refusal = operatorRefusal(c.req.raw, c.env.remoteAddr, access);
    if (!refusal) return await next();
    logger.warn("operator request refused", {
      path: c.req.path,
      method: c.req.method,
      remote: remoteAddressOf(c.env),
      reason: refusal.error,
    });
    return c.json({ error: refusal.error }, refusal.status as 400);
  });
  app.get("/status", async (c) => c.json(await operator.status()));
  app.post("/:command", async (c) => {
    const name = c.req.param("command");
    if (!Object.hasOwn(COMMANDS, name)) {
      return c.json({ error: "not found" }, 404);
    }
    const command = COMMANDS[name];
    try {
      const body = await c.req.json().catch(() => {
        throw new OperatorError("the request body must be JSON");
      });
      return c.json(await command(operator, body as never));
    } catch (error) {
      if (error instanceof OperatorError) {
        return c.json({ error: error.message }, 400);
      }
      return c.json({ error: (error as Error).message }, 500);
    }
  });
  app.all("*", (c) => c.json({ error: "not found" }, 404));
  return app;
}
