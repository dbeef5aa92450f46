import type { BfDbBackend } from "./storage/BfDbBackend.ts";

/** A numbered schema change. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Serializes migrators across processes; an arbitrary constant shared by every bfDb process. */
const MIGRATION_LOCK_KEY = 7_241_560_001;

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

/** Reads the numbered `NNN_name.sql` files, in order. */
export async function loadMigrations(
  dir: URL = MIGRATIONS_DIR,
): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^(\d+)_(.+)\.sql$/.exec(entry.name);
    if (!entry.isFile || !match) continue;
    const sql = await Deno.readTextFile(new URL(entry.name, dir));
    migrations.push({ version: Number(match[1]), name: match[2], sql });
  }
  migrations.sort((a, b) => a.version - b.version);
  return migrations;
}

/**
 * Applies every migration not yet applied, in one transaction under an advisory lock,
 * so many processes starting at once migrate once and none fails. Returns the versions applied.
 */
export async function migrate(
  backend: BfDbBackend,
  migrations?: Migration[],
): Promise<number[]> {
  const pending = migrations ?? await loadMigrations();
  return await backend.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [
      MIGRATION_LOCK_KEY,
    ]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS bfdb_migrations (
        version int PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const rows = await tx.query<{ version: number }>(
      "SELECT version FROM bfdb_migrations",
    );
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of pending) {
      if (done.has(migration.version)) continue;
      await runScript(tx, migration.sql);
      await tx.query(
        "INSERT INTO bfdb_migrations (version, name) VALUES ($1, $2)",
        [
          migration.version,
          migration.name,
        ],
      );
      applied.push(migration.version);
    }
    return applied;
  });
}

/** Runs a migration script one statement at a time (prepared statements take one each). */
async function runScript(
  tx: { query: (text: string) => Promise<unknown> },
  script: string,
): Promise<void> {
  for (const statement of splitStatements(script)) {
    await tx.query(statement);
  }
}

/** Splits SQL on top-level semicolons, keeping `$$` bodies and comments intact. */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = "";
  let inDollar = false;
  let inQuote = false;
  const lines = script.split("\n");
  for (const line of lines) {
    const trimmed = line.trim();
    if (!inDollar && !inQuote && trimmed.startsWith("--")) continue;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (!inQuote && line.startsWith("$$", i)) {
        inDollar = !inDollar;
        current += "$$";
        i++;
        continue;
      }
      if (!inDollar && ch === "'") inQuote = !inQuote;
      if (!inDollar && !inQuote && ch === ";") {
        if (current.trim()) statements.push(current.trim());
        current = "";
        continue;
      }
      current += ch;
    }
    current += "\n";
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
