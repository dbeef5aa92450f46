/**
 * Migrations: many processes starting at once migrate once and none fails; a
 * failing migration leaves nothing behind; scripts split into statements correctly.
 */
import assert from "node:assert/strict";
import {
  loadMigrations,
  migrate,
  type Migration,
  splitStatements,
} from "./migrate.ts";
import { PostgresBackend } from "./storage/PostgresBackend.ts";
import { createEmptyDatabase, dropDatabase } from "./testing/testDatabase.ts";

/** Runs `fn` with the URL of a fresh, empty (unmigrated) database, dropped afterwards. */
async function withEmptyDatabase(
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const { name, url } = await createEmptyDatabase();
  try {
    await fn(url);
  } finally {
    await dropDatabase(name);
  }
}

const testOptions = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "10 concurrent migrators on a fresh database: all succeed, each migration applied once",
  ...testOptions,
  fn: () =>
    withEmptyDatabase(async (url) => {
      const all = (await loadMigrations()).map((m) => m.version);
      const backends = Array.from(
        { length: 10 },
        () => new PostgresBackend(url, { maxConnections: 1 }),
      );
      try {
        // Open every connection first, so the ten migrations really start together.
        await Promise.all(backends.map((b) => b.query("SELECT 1")));
        const results = await Promise.allSettled(
          backends.map((b) => migrate(b)),
        );
        const failures = results.filter((r) => r.status === "rejected");
        assert.deepEqual(failures, [], "every migrator succeeds");
        const applied = results.map((r) =>
          (r as PromiseFulfilledResult<number[]>).value
        );
        // Exactly one migrator applied everything; the other nine found nothing to do.
        assert.deepEqual(applied.filter((a) => a.length > 0), [all]);
        assert.equal(applied.filter((a) => a.length === 0).length, 9);

        const rows = await backends[0].query<{ version: number; n: number }>(
          "SELECT version, count(*)::int AS n FROM bfdb_migrations GROUP BY version ORDER BY version",
        );
        assert.deepEqual(
          rows.map((r) => ({ ...r })),
          all.map((version) => ({ version, n: 1 })),
        );
        const table = await backends[0].query<{ t: string | null }>(
          "SELECT to_regclass('bfdb')::text AS t",
        );
        assert.equal(table[0].t, "bfdb");

        // Running again, even concurrently, applies nothing.
        const again = await Promise.all(backends.map((b) => migrate(b)));
        assert.deepEqual(again, backends.map(() => []));
        const count = await backends[0].query<{ n: number }>(
          "SELECT count(*)::int AS n FROM bfdb_migrations",
        );
        assert.equal(count[0].n, all.length);
      } finally {
        await Promise.all(backends.map((b) => b.close()));
      }
    }),
});

Deno.test({
  name:
    "a failing migration rolls back the whole run; a fixed one then applies",
  ...testOptions,
  fn: () =>
    withEmptyDatabase(async (url) => {
      const backend = new PostgresBackend(url);
      try {
        const good: Migration = {
          version: 1,
          name: "make_t",
          sql: "CREATE TABLE t (v int);\nINSERT INTO t VALUES (1);",
        };
        const bad: Migration = {
          version: 2,
          name: "broken",
          sql: "INSERT INTO t VALUES (2);\nSELECT no_such_function();",
        };
        await assert.rejects(migrate(backend, [good, bad]), /no_such_function/);
        const tables = await backend.query<{ t: string | null }>(
          "SELECT to_regclass('t')::text AS t, to_regclass('bfdb_migrations')::text AS m",
        );
        assert.deepEqual({ ...tables[0] }, { t: null, m: null });

        const fixed = { ...bad, sql: "INSERT INTO t VALUES (2);" };
        assert.deepEqual(await migrate(backend, [good, fixed]), [1, 2]);
        const rows = await backend.query<{ v: number }>(
          "SELECT v FROM t ORDER BY v",
        );
        assert.deepEqual(rows.map((r) => r.v), [1, 2]);
        // A later migration is applied on its own; earlier ones are not re-run.
        const third = {
          version: 3,
          name: "more",
          sql: "INSERT INTO t VALUES (3)",
        };
        assert.deepEqual(await migrate(backend, [good, fixed, third]), [3]);
        const after = await backend.query<{ v: number }>(
          "SELECT v FROM t ORDER BY v",
        );
        assert.deepEqual(after.map((r) => r.v), [1, 2, 3]);
      } finally {
        await backend.close();
      }
    }),
});

Deno.test("loadMigrations reads NNN_name.sql files in numeric order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bfdb_migrations_" });
  try {
    await Deno.writeTextFile(`${dir}/10_ten.sql`, "SELECT 10;");
    await Deno.writeTextFile(`${dir}/9_nine.sql`, "SELECT 9;");
    await Deno.writeTextFile(`${dir}/001_one.sql`, "SELECT 1;");
    await Deno.writeTextFile(`${dir}/README.md`, "not a migration");
    await Deno.writeTextFile(`${dir}/002_draft.sql.bak`, "not a migration");
    await Deno.mkdir(`${dir}/003_dir.sql`);
    const migrations = await loadMigrations(new URL(`file://${dir}/`));
    assert.deepEqual(migrations.map((m) => [m.version, m.name, m.sql]), [
      [1, "one", "SELECT 1;"],
      [9, "nine", "SELECT 9;"],
      [10, "ten", "SELECT 10;"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the shipped migrations have unique versions and split into statements", async () => {
  const migrations = await loadMigrations();
  const versions = migrations.map((m) => m.version);
  assert.equal(new Set(versions).size, versions.length);
  for (const migration of migrations) {
    const statements = splitStatements(migration.sql);
    assert.ok(statements.length > 0, `${migration.name} has statements`);
    for (const statement of statements) {
      assert.doesNotMatch(statement, /^\s*$/);
      assert.doesNotMatch(
        statement,
        /;\s*$/,
        "statements come without their semicolon",
      );
    }
  }
});

Deno.test("splitStatements splits on top-level semicolons and trims", () => {
  assert.deepEqual(splitStatements("SELECT 1; SELECT 2;\n\n  SELECT 3  "), [
    "SELECT 1",
    "SELECT 2",
    "SELECT 3",
  ]);
  assert.deepEqual(splitStatements(""), []);
  assert.deepEqual(splitStatements(" ;; \n ; "), []);
  assert.deepEqual(
    splitStatements(
      "CREATE TABLE t (\n  a int,\n  b text\n);\nCREATE INDEX i ON t (a);",
    ),
    ["CREATE TABLE t (\n  a int,\n  b text\n)", "CREATE INDEX i ON t (a)"],
  );
});

Deno.test("splitStatements keeps semicolons inside quotes", () => {
  assert.deepEqual(splitStatements("SELECT 'a;b'; SELECT 'it''s; fine';"), [
    "SELECT 'a;b'",
    "SELECT 'it''s; fine'",
  ]);
  assert.deepEqual(
    splitStatements(`SELECT 1 AS "odd;name"; SELECT '"'; SELECT 2`),
    [
      `SELECT 1 AS "odd;name"`,
      `SELECT '"'`,
      "SELECT 2",
    ],
  );
  assert.deepEqual(splitStatements("SELECT E'back\\'slash; still'; SELECT 2"), [
    "SELECT E'back\\'slash; still'",
    "SELECT 2",
  ]);
  assert.deepEqual(splitStatements("SELECT 'multi\nline; text'; SELECT 2"), [
    "SELECT 'multi\nline; text'",
    "SELECT 2",
  ]);
});

Deno.test("splitStatements keeps dollar-quoted bodies whole", () => {
  const fn = `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1; -- a comment; inside the body
  RETURN 'x;y'::text = 'z';
END;
$$`;
  assert.deepEqual(splitStatements(`${fn};\nSELECT f();`), [fn, "SELECT f()"]);
  const tagged =
    `DO $body$ BEGIN RAISE NOTICE 'a;b $$ c'; PERFORM 2; END $body$`;
  assert.deepEqual(splitStatements(`${tagged}; SELECT 3`), [
    tagged,
    "SELECT 3",
  ]);
  const inner =
    `CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $f$ SELECT $$;$$ $f$`;
  assert.deepEqual(splitStatements(`${inner};SELECT 4;`), [inner, "SELECT 4"]);
  // Positional parameters are not dollar quotes.
  assert.deepEqual(splitStatements("SELECT $1; SELECT $2::text"), [
    "SELECT $1",
    "SELECT $2::text",
  ]);
});

Deno.test("splitStatements drops comments, with their semicolons and quotes", () => {
  assert.deepEqual(
    splitStatements(
      "-- leading comment; with a semicolon\nSELECT 1;\n-- trailing comment",
    ),
    ["SELECT 1"],
  );
  assert.deepEqual(
    splitStatements("SELECT 1; -- don't split here; or here\nSELECT 2;"),
    ["SELECT 1", "SELECT 2"],
  );
  assert.deepEqual(
    splitStatements(
      "SELECT 1 /* block; comment's */ + 1; /* only a comment; */ SELECT 2",
    ),
    ["SELECT 1   + 1", "SELECT 2"],
  );
  assert.deepEqual(
    splitStatements(
      "SELECT /* outer /* nested; */ still comment; */ 3; SELECT 4",
    ),
    ["SELECT   3", "SELECT 4"],
  );
  // A comment separates tokens like whitespace does.
  assert.deepEqual(splitStatements("SELECT/**/5"), ["SELECT 5"]);
  assert.deepEqual(splitStatements("SELECT '--not a comment;'; SELECT 5"), [
    "SELECT '--not a comment;'",
    "SELECT 5",
  ]);
});
