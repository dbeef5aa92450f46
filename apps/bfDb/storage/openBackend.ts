import type { BfDbBackend } from "./BfDbBackend.ts";
import { PgliteBackend } from "./PgliteBackend.ts";
import {
  PostgresBackend,
  type PostgresBackendOptions,
} from "./PostgresBackend.ts";

/** Where the embedded database lives when no `DATABASE_URL` is given: `.bfdb/` at the repo root. */
export const EMBEDDED_DATA_DIR =
  new URL("../../../.bfdb/", import.meta.url).pathname;

/** Options for choosing and opening a backend. */
export interface OpenBackendOptions extends PostgresBackendOptions {
  /** A postgres:// URL; when absent the embedded PGlite database is used. */
  databaseUrl?: string;
  /** Directory of the embedded database; defaults to `.bfdb/` at the repo root. */
  embeddedDataDir?: string;
}

/** Opens PostgreSQL when a URL is given, else the embedded PGlite database. */
export async function openBackend(
  options: OpenBackendOptions = {},
): Promise<BfDbBackend> {
  if (options.databaseUrl) {
    return new PostgresBackend(options.databaseUrl, options);
  }
  return await PgliteBackend.open(options.embeddedDataDir ?? EMBEDDED_DATA_DIR);
}

/**
 * Where `databaseUrl` points, for log lines and errors: host, port and database, never the
 * user or password; "embedded" without a URL.
 *
 * @example
 * ```ts
 * databaseLocation("postgres://u:secret@db:6543/jobs"); // "db:6543/jobs"
 * ```
 */
export function databaseLocation(databaseUrl: string | undefined): string {
  if (!databaseUrl) return "embedded";
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}
