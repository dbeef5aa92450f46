/**
 * Outages for tests: an admin connection to the test server's maintenance database that makes a
 * test database refuse connections and terminates the backends on it.
 *
 * @example
 * ```ts
 * await using sql = serverAdmin();
 * await refuseConnections(sql, db.name);
 * try {
 *   // everything connected to db.name is gone, and nothing can connect again
 * } finally {
 *   await allowConnections(sql, db.name);
 * }
 * ```
 *
 * @module
 */
import postgres from "postgres";
import { TEST_SERVER_URL } from "./testDatabase.ts";

/** An admin connection to the server's maintenance database; dispose it to close it. */
export function serverAdmin() {
  const sql = postgres(TEST_SERVER_URL, { max: 1, onnotice: () => {} });
  return Object.assign(sql, { [Symbol.asyncDispose]: () => sql.end() });
}

/** What {@linkcode serverAdmin} returns. */
export type ServerAdmin = ReturnType<typeof serverAdmin>;

function quotedDatabase(database: string): string {
  if (!/^[a-z0-9_]+$/.test(database)) {
    throw new Error(`unsafe database name ${database}`);
  }
  return `"${database}"`;
}

/**
 * Terminates the backends on `database` (only those whose `application_name` is
 * `applicationName`, when given); returns how many went.
 */
export async function terminateBackends(
  sql: ServerAdmin,
  database: string,
  applicationName?: string,
): Promise<number> {
  const rows = await sql`
    SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
    WHERE datname = ${database} AND pid <> pg_backend_pid()
      AND (${applicationName ?? null}::text IS NULL
           OR application_name = ${applicationName ?? null})`;
  return rows.filter((r) => r.killed).length;
}

/**
 * Makes `database` refuse new connections, then terminates its backends (only those named
 * `applicationName`, when given): what is cut cannot connect again until
 * {@linkcode allowConnections}.
 */
export async function refuseConnections(
  sql: ServerAdmin,
  database: string,
  applicationName?: string,
): Promise<void> {
  await sql.unsafe(
    `ALTER DATABASE ${quotedDatabase(database)} ALLOW_CONNECTIONS false`,
  );
  await terminateBackends(sql, database, applicationName);
}

/** Lets connections to `database` in again. */
export async function allowConnections(
  sql: ServerAdmin,
  database: string,
): Promise<void> {
  await sql.unsafe(
    `ALTER DATABASE ${quotedDatabase(database)} ALLOW_CONNECTIONS true`,
  );
}
