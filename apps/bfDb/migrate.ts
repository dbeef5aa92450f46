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

/** A dollar-quote opener: `$$` or `$tag$` (never a `$1` parameter). */
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;

/**
 * Splits SQL on top-level semicolons. Quoted strings (`'…'`, `E'…'`), quoted identifiers
 * (`"…"`) and dollar-quoted bodies (`$$…$$`, `$tag$…$tag$`) are kept whole; comments
 * outside them (line comments, and block comments even nested) are dropped.
 * Statements come back trimmed, without their semicolon; empty ones are left out.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  const push = () => {
    if (current.trim()) statements.push(current.trim());
    current = "";
  };
  while (i < script.length) {
    const ch = script[i];
    if (ch === ";") {
      push();
      i++;
    } else if (script.startsWith("--", i)) {
      const end = script.indexOf("\n", i);
      i = end === -1 ? script.length : end;
    } else if (script.startsWith("/*", i)) {
      let depth = 0;
      while (i < script.length) {
        if (script.startsWith("/*", i)) {
          depth++;
          i += 2;
        } else if (script.startsWith("*/", i)) {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
      current += " ";
    } else if (ch === "'" || ch === '"') {
      const escapes = ch === "'" && /[eE]$/.test(current) &&
        !/[\w$]$/.test(current.slice(0, -1));
      let j = i + 1;
      while (j < script.length) {
        if (escapes && script[j] === "\\") j += 2;
        else if (script[j] === ch && script[j + 1] === ch) j += 2;
        else if (script[j] === ch) break;
        else j++;
      }
      current += script.slice(i, j + 1);
      i = j + 1;
    } else if (ch === "$" && !/[\w$]$/.test(current)) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(script)?.[0];
      if (!tag) {
        current += ch;
        i++;
        continue;
      }
      const end = script.indexOf(tag, i + tag.length);
      const stop = end === -1 ? script.length : end + tag.length;
      current += script.slice(i, stop);
      i = stop;
    } else {
      current += ch;
      i++;
    }
  }
  push();
  return statements;
}
