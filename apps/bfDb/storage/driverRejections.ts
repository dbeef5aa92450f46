/**
 * Keeps a process alive through a postgres.js bug: on every new connection the driver runs
 * an internal array-types query (`fetch_types`) whose promise it drops, so when that connection
 * is terminated or reset during the query (pg_terminate_backend, a server restart, a reset
 * socket), the error surfaces as an unhandled rejection, which ends a Deno process with exit
 * code 1 (porsager/postgres issues #279, #1192, #1223; postgres 3.4.9). Such a rejection
 * carries no caller's work (every query the caller made has its own promise, which rejects as
 * usual), so the guard logs it and lets the process go on. Any other unhandled rejection still
 * ends the process. (`fetch_types: false` would avoid the query, but then text[] parameters
 * break.) Every `PostgresBackend` installs it for its process ({@linkcode installDriverGuard}),
 * so a long-running producer is as safe as the worker.
 *
 * @example
 * ```ts
 * const unguard = guardDriverRejections(logger);
 * try {
 *   // run the worker
 * } finally {
 *   unguard();
 * }
 * ```
 *
 * @module
 */
import { createLogger, type Logger } from "@bfmono/packages/logger/logger.ts";

/** Driver and socket codes for a connection that failed, closed or was reset. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
]);

/**
 * Whether `error` says the database connection failed: a driver or socket connection code, a
 * SQLSTATE of class 08 (connection exception), 57P01-57P03 (server shutting down, terminated
 * by an administrator, cannot connect now), 57014 (query cancelled) or 53300 (too many
 * clients), or any server error of severity FATAL or PANIC, which always ends the session: a
 * database that refuses connections (`ALLOW_CONNECTIONS false`) answers a new one with FATAL
 * 55000, which the driver can leave unhandled, and that ended the worker (CI failed on it twice;
 * in six short outages each, the tenth worker died; none of fifteen after this).
 */
export function isDatabaseConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  if (severity === "FATAL" || severity === "PANIC") return true;
  if (typeof code !== "string") return false;
  return CONNECTION_CODES.has(code) || code.startsWith("08") ||
    /^57P0[123]$/.test(code) || code === "57014" || code === "53300";
}

/** Logs and swallows `event` when it is a database connection error; leaves others alone. */
function swallowConnectionError(
  event: PromiseRejectionEvent,
  logger: Logger,
): void {
  if (!isDatabaseConnectionError(event.reason)) return;
  event.preventDefault();
  logger.warn(
    "ignored a database connection error the driver left unhandled",
    { error: event.reason },
  );
}

/**
 * Installs the guard described in the module doc; returns a function that removes it.
 * Rejections that are not database connection errors are left alone (they end the process).
 */
export function guardDriverRejections(logger: Logger): () => void {
  const onRejection = (event: PromiseRejectionEvent) =>
    swallowConnectionError(event, logger);
  globalThis.addEventListener("unhandledrejection", onRejection);
  return () =>
    globalThis.removeEventListener("unhandledrejection", onRejection);
}

let processLogger: Logger | undefined;
let processGuardInstalled = false;

/**
 * Installs the guard for the whole process, once, however many backends open (PostgresBackend
 * calls it); `logger`, when given, writes its lines from then on (the worker passes its own).
 */
export function installDriverGuard(logger?: Logger): void {
  if (logger) processLogger = logger;
  if (processGuardInstalled) return;
  processGuardInstalled = true;
  globalThis.addEventListener("unhandledrejection", (event) => {
    processLogger ??= createLogger({
      service: "bfdb",
      environment: Deno.env.get("DENO_ENV") ?? "development",
    });
    swallowConnectionError(event, processLogger);
  });
}
