/**
 * How the worker process answers SIGINT and SIGTERM: the first asks for a graceful stop; a
 * repeat of the same signal within {@linkcode REPEAT_WINDOW_MS} is the same request delivered
 * twice (a terminal's Ctrl-C reaches both `deno task` and the worker, and `deno task` forwards
 * it again) and is ignored; a later or different signal exits at once. Whatever the database is
 * doing, the process is gone {@linkcode FORCE_MARGIN_MS} after the grace period.
 *
 * @module
 */
import type { Logger } from "@bfmono/packages/logger/logger.ts";

/** Repeats of the first signal closer than this are one request, not two. */
export const REPEAT_WINDOW_MS = 1_000;

/** How long past the grace period a stop may take before the process exits anyway. */
export const FORCE_MARGIN_MS = 5_000;

/** What {@linkcode installShutdownSignals} needs. */
export interface ShutdownSignalOptions {
  logger: Logger;
  /** The worker's grace period for running jobs. */
  graceMs: number;
  /** Aborted by the first signal. */
  shutdown: AbortController;
}

const EXIT_CODES: Record<"SIGINT" | "SIGTERM", number> = {
  SIGINT: 130,
  SIGTERM: 143,
};

/**
 * Listens for SIGINT and SIGTERM as the module doc says; returns the function that removes the
 * listeners (and the force-exit timer).
 *
 * @example
 * ```ts
 * const shutdown = new AbortController();
 * const uninstall = installShutdownSignals({ logger, graceMs: 10_000, shutdown });
 * await new Promise((r) => shutdown.signal.addEventListener("abort", r));
 * uninstall();
 * ```
 */
export function installShutdownSignals(
  options: ShutdownSignalOptions,
): () => void {
  const { logger, graceMs, shutdown } = options;
  let first: { signal: "SIGINT" | "SIGTERM"; at: number } | undefined;
  let forceTimer: ReturnType<typeof setTimeout> | undefined;
  const onSignal = (signal: "SIGINT" | "SIGTERM") => () => {
    const now = performance.now();
    if (!first) {
      first = { signal, at: now };
      logger.info("signal received: stopping gracefully", { signal });
      forceTimer = setTimeout(() => {
        logger.error("stop did not finish in time: exiting", {
          signal,
          afterMs: graceMs + FORCE_MARGIN_MS,
        });
        Deno.exit(EXIT_CODES[signal]);
      }, graceMs + FORCE_MARGIN_MS);
      Deno.unrefTimer(Number(forceTimer));
      shutdown.abort();
      return;
    }
    if (signal === first.signal && now - first.at < REPEAT_WINDOW_MS) {
      logger.debug("repeated signal ignored: one request delivered twice", {
        signal,
        msSinceFirst: Math.round(now - first.at),
      });
      return;
    }
    logger.warn("second signal: exiting at once", { signal });
    Deno.exit(EXIT_CODES[signal]);
  };
  const handlers = [
    ["SIGINT", onSignal("SIGINT")],
    ["SIGTERM", onSignal("SIGTERM")],
  ] as const;
  for (const [signal, handler] of handlers) {
    Deno.addSignalListener(signal, handler);
  }
  return () => {
    clearTimeout(forceTimer);
    for (const [signal, handler] of handlers) {
      Deno.removeSignalListener(signal, handler);
    }
  };
}
