import postgres from "postgres";

/** A postgres.js client. */
export type Sql = ReturnType<typeof postgres>;

/** The server the bench runs on: BENCH_DATABASE_URL, else DATABASE_URL, else local postgres. */
export function serverUrl(): string {
  return Deno.env.get("BENCH_DATABASE_URL") ?? Deno.env.get("DATABASE_URL") ??
    "postgres://postgres@127.0.0.1:5432/postgres";
}

/** `url` pointed at database `name` on the same server. */
export function urlFor(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Opens a small client on `url` that keeps quiet about notices. */
export function connect(url: string): Sql {
  return postgres(url, {
    max: 1,
    onnotice: () => {},
    idle_timeout: 5,
    connect_timeout: 10,
  });
}

/** Fresh databases created and not yet dropped, so an interrupted bench can drop them. */
const undropped = new Set<FreshDb>();

/** Drops every fresh database not yet dropped; never throws. */
export async function dropAllFreshDbs(): Promise<void> {
  for (const db of [...undropped]) await db.drop().catch(() => {});
}

/** A fresh database on the bench server, named bench_<system>_<random>. */
export interface FreshDb {
  name: string;
  url: string;
  /** Drops the database (forcing off any client still connected). */
  drop(): Promise<void>;
}

/**
 * Creates a fresh database for one run.
 *
 * @example
 * ```ts
 * const db = await createFreshDb("pgboss");
 * await db.drop();
 * ```
 */
export async function createFreshDb(system: string): Promise<FreshDb> {
  const name = `bench_${system}_${
    crypto.randomUUID().replaceAll("-", "").slice(0, 10)
  }`;
  const admin = connect(serverUrl());
  try {
    await admin`CREATE DATABASE ${admin(name)}`;
  } finally {
    await admin.end({ timeout: 5 });
  }
  const db: FreshDb = {
    name,
    url: urlFor(serverUrl(), name),
    async drop() {
      const sql = connect(serverUrl());
      try {
        await sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`;
        undropped.delete(db);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
  undropped.add(db);
  return db;
}

/** Makes the server quiet before a timed phase: VACUUM ANALYZE the database, then CHECKPOINT. */
export async function settle(url: string): Promise<void> {
  const sql = connect(url);
  try {
    await sql`VACUUM ANALYZE`;
    await sql`CHECKPOINT`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The server's `SHOW server_version`. */
export async function serverVersion(): Promise<string> {
  const sql = connect(serverUrl());
  try {
    const rows = await sql`SHOW server_version`;
    return String(rows[0].server_version);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The server's current WAL insert position (`pg_current_wal_lsn()`), as text. */
export async function currentWalLsn(sql: Sql): Promise<string> {
  const rows = await sql`SELECT pg_current_wal_lsn()::text AS lsn`;
  return String(rows[0].lsn);
}

/** Bytes of WAL the server wrote from `from` to `to` (`pg_wal_lsn_diff`). */
export async function walBytesBetween(
  sql: Sql,
  from: string,
  to: string,
): Promise<number> {
  const rows = await sql`
    SELECT pg_wal_lsn_diff(${to}::pg_lsn, ${from}::pg_lsn)::float8 AS bytes`;
  return Number(rows[0].bytes);
}
