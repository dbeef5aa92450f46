import postgres from "postgres";
import { bfDb } from "../bfDb.ts";
import { migrate } from "../migrate.ts";
import type { BfDbBackend } from "../storage/BfDbBackend.ts";
import { PostgresBackend } from "../storage/PostgresBackend.ts";

/** The server tests create their databases on. */
export const TEST_SERVER_URL = Deno.env.get("DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/** A database made for one test: its URL, and a migrated backend already given to bfDb. */
export interface TestDatabase {
  url: string;
  name: string;
  backend: BfDbBackend;
}

function urlFor(name: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates an empty database on the test server and returns its name and URL. */
export async function createEmptyDatabase(
  prefix = "bftest",
): Promise<{ name: string; url: string }> {
  const suffix = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  const name = `${prefix}_${suffix}`;
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new Error(`unsafe database name ${name}`);
  }
  const admin = postgres(TEST_SERVER_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return { name, url: urlFor(name) };
}

/** Drops a database made by `createEmptyDatabase`, disconnecting whoever still uses it. */
export async function dropDatabase(name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new Error(`unsafe database name ${name}`);
  }
  const admin = postgres(TEST_SERVER_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Runs `fn` with a fresh migrated database given to bfDb, then closes and drops it. */
export async function withTestDatabase<T>(
  fn: (db: TestDatabase) => Promise<T>,
  options: { migrate?: boolean; maxConnections?: number } = {},
): Promise<T> {
  const { name, url } = await createEmptyDatabase();
  const backend = new PostgresBackend(url, {
    maxConnections: options.maxConnections ?? 10,
  });
  try {
    if (options.migrate !== false) await migrate(backend);
    bfDb.use(backend);
    return await fn({ url, name, backend });
  } finally {
    try {
      if (bfDb.isReady && bfDb.backend === backend) await bfDb.close();
      else await backend.close();
    } finally {
      // Dropped even when closing failed (FORCE ends whatever is still connected).
      await dropDatabase(name);
    }
  }
}

/** `Deno.test` with its own fresh database for the test's duration. */
export function dbTest(
  name: string,
  fn: (db: TestDatabase) => Promise<void>,
): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => withTestDatabase(fn),
  });
}
