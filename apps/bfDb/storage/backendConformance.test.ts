/**
 * One conformance suite for the storage interface, run against every backend:
 * PostgreSQL (a fresh database on the test server) and PGlite (in memory).
 * Whatever passes here is what code above `BfDbBackend` may rely on.
 */
import assert from "node:assert/strict";
import { loadMigrations, migrate } from "../migrate.ts";
import { createEmptyDatabase, dropDatabase } from "../testing/testDatabase.ts";
import { startPgBouncer } from "../testing/pgbouncer.ts";
import type { BfDbBackend } from "./BfDbBackend.ts";
import { EmbeddedDatabaseBusyError, PgliteBackend } from "./PgliteBackend.ts";
import { PostgresBackend } from "./PostgresBackend.ts";
import { sleep, waitFor } from "../testing/waitFor.ts";

/** A backend opened for one test, and how to dispose of everything it made. */
interface OpenedBackend {
  backend: BfDbBackend;
  /** Closes the backend (tolerating a close the test already did) and removes its data. */
  dispose(): Promise<void>;
}

type BackendFactory = () => Promise<OpenedBackend>;

const HOSTILE = [
  `it's "quoted"`,
  "back\\slash \\' \\\\",
  "'; DROP TABLE bfdb; --",
  "$1 $$ $tag$",
  "emoji 😀 rtl שלום combining e\u0301 4-byte 𝄞",
];

/** Registers the conformance suite for one backend under `label`. */
function backendConformance(label: string, open: BackendFactory): void {
  const test = (name: string, fn: (backend: BfDbBackend) => Promise<void>) =>
    Deno.test({
      name: `${label}: ${name}`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const { backend, dispose } = await open();
        try {
          await fn(backend);
        } finally {
          await dispose();
        }
      },
    });

  test("binds text, int, bool and jsonb parameters", async (db) => {
    const data = { a: [1, "two", null, true], nested: { "k'ey": 'v"al' } };
    const rows = await db.query(
      "SELECT $1::text AS t, $2::int AS i, $3::bool AS b, $4::bool AS f, $5::text::jsonb AS j",
      ["hello", 42, true, false, JSON.stringify(data)],
    );
    assert.equal(rows.length, 1);
    assert.deepEqual({ ...rows[0] }, {
      t: "hello",
      i: 42,
      b: true,
      f: false,
      j: data,
    });
  });

  test("bigint comes back as an exact string", async (db) => {
    const rows = await db.query(
      "SELECT $1::bigint AS big, 9007199254740993::bigint AS lit",
      [
        "9007199254740993",
      ],
    );
    assert.equal(rows[0].big, "9007199254740993");
    assert.equal(rows[0].lit, "9007199254740993");
  });

  test("timestamptz comes back as a Date, and Date parameters bind", async (db) => {
    const at = new Date("2024-02-29T23:59:58.123Z");
    const rows = await db.query<{ ts: unknown; iso: string; now: unknown }>(
      `SELECT $1::timestamptz AS ts,
              to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS iso,
              now() AS now`,
      [at],
    );
    assert.ok(rows[0].ts instanceof Date);
    assert.equal((rows[0].ts as Date).toISOString(), at.toISOString());
    assert.equal(rows[0].iso, "2024-02-29T23:59:58.123");
    assert.ok(rows[0].now instanceof Date);
  });

  test("binds text[] arrays for = ANY", async (db) => {
    const values = ["a,b", '"q"', "{}", "NULL", "", "x y", ...HOSTILE];
    const unnested = await db.query<{ x: string }>(
      "SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n",
      [values],
    );
    assert.deepEqual(unnested.map((r) => r.x), values);
    const hits = await db.query<{ hit: boolean; miss: boolean }>(
      "SELECT $2::text = ANY($1::text[]) AS hit, $3::text = ANY($1::text[]) AS miss",
      [values, "'; DROP TABLE bfdb; --", "absent"],
    );
    assert.deepEqual({ ...hits[0] }, { hit: true, miss: false });
    const empty = await db.query<{ n: number }>(
      "SELECT cardinality($1::text[]) AS n",
      [[]],
    );
    assert.equal(empty[0].n, 0);
    const withNull = await db.query<{ x: string | null }>(
      "SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n",
      [["a", null, "NULL"]],
    );
    assert.deepEqual(withNull.map((r) => r.x), ["a", null, "NULL"]);
  });

  test("binds null parameters as SQL NULL", async (db) => {
    const rows = await db.query(
      `SELECT $1::text IS NULL AS t_null, $2::int IS NULL AS i_null,
              $3::text::jsonb IS NULL AS j_null, $4::text[] IS NULL AS a_null, $1::text AS t`,
      [null, null, null, null],
    );
    assert.deepEqual({ ...rows[0] }, {
      t_null: true,
      i_null: true,
      j_null: true,
      a_null: true,
      t: null,
    });
  });

  test("hostile strings are bound, never spliced", async (db) => {
    await db.query("CREATE TABLE t (v text)");
    for (const value of HOSTILE) {
      await db.query("INSERT INTO t (v) VALUES ($1)", [value]);
      const rows = await db.query<{ v: string; j: { v: string } }>(
        "SELECT $1::text AS v, jsonb_build_object('v', $1::text) AS j",
        [value],
      );
      assert.equal(rows[0].v, value);
      assert.equal(rows[0].j.v, value);
    }
    const stored = await db.query<{ v: string }>(
      `SELECT v FROM t ORDER BY v COLLATE "C"`,
    );
    assert.deepEqual(stored.map((r) => r.v), [...HOSTILE].sort(bytewise));
  });

  test("transaction commits and returns the callback's value", async (db) => {
    await db.query("CREATE TABLE t (v int)");
    const result = await db.transaction(async (tx) => {
      await tx.query("INSERT INTO t (v) VALUES ($1), ($2)", [1, 2]);
      const inside = await tx.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM t",
      );
      assert.equal(inside[0].n, 2);
      return "done";
    });
    assert.equal(result, "done");
    const rows = await db.query<{ v: number }>("SELECT v FROM t ORDER BY v");
    assert.deepEqual(rows.map((r) => r.v), [1, 2]);
  });

  test("transaction rolls back when the callback throws", async (db) => {
    await db.query("CREATE TABLE t (v int)");
    const boom = new Error("boom");
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO t (v) VALUES (1)");
        await tx.query("INSERT INTO t (v) VALUES (2)");
        throw boom;
      }),
      (error) => error === boom,
    );
    const rows = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM t",
    );
    assert.equal(rows[0].n, 0);
  });

  test("transaction rolls back when a statement fails", async (db) => {
    await db.query("CREATE TABLE t (v int PRIMARY KEY)");
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO t (v) VALUES (1)");
        await tx.query("INSERT INTO t (v) VALUES (1)");
      }),
      /duplicate key/,
    );
    const rows = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM t",
    );
    assert.equal(rows[0].n, 0);
    // The backend is still usable after the failed transaction.
    await db.transaction((tx) => tx.query("INSERT INTO t (v) VALUES (1)"));
    const after = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM t",
    );
    assert.equal(after[0].n, 1);
  });

  test("listen receives notifications with their payload", async (db) => {
    const received: string[] = [];
    const unlisten = await db.listen(
      "bf_conformance",
      (payload) => received.push(payload),
    );
    const payload = HOSTILE.join(" | ");
    await db.query("SELECT pg_notify($1, $2)", ["bf_conformance", payload]);
    await waitFor(() => received.length === 1, "the notification");
    assert.deepEqual(received, [payload]);
    await unlisten();
  });

  test("listen takes the channel name as is (case and punctuation kept)", async (db) => {
    const received: string[] = [];
    const unlisten = await db.listen(
      "bfJobs.Wake-Up",
      (payload) => received.push(payload),
    );
    await db.query("SELECT pg_notify($1, $2)", [
      "bfjobs.wake-up",
      "wrong channel",
    ]);
    await db.query("SELECT pg_notify($1, $2)", [
      "bfJobs.Wake-Up",
      "right channel",
    ]);
    await waitFor(() => received.length >= 1, "the notification");
    await sleep(50);
    assert.deepEqual(received, ["right channel"]);
    await unlisten();
  });

  test("a NOTIFY inside a transaction arrives only after commit", async (db) => {
    const received: string[] = [];
    const unlisten = await db.listen(
      "bf_tx",
      (payload) => received.push(payload),
    );
    await db.transaction(async (tx) => {
      await tx.query("SELECT pg_notify($1, $2)", ["bf_tx", "committed"]);
      await sleep(100);
      assert.deepEqual(received, [], "delivered before commit");
    });
    await waitFor(() => received.length === 1, "the committed notification");
    assert.deepEqual(received, ["committed"]);
    await unlisten();
  });

  test("a NOTIFY inside a rolled-back transaction never arrives", async (db) => {
    const received: string[] = [];
    const unlisten = await db.listen(
      "bf_tx",
      (payload) => received.push(payload),
    );
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("SELECT pg_notify($1, $2)", ["bf_tx", "rolled back"]);
        throw new Error("abort");
      }),
      /abort/,
    );
    // A later notification on the same channel arrives; the rolled-back one never does.
    await db.query("SELECT pg_notify($1, $2)", ["bf_tx", "marker"]);
    await waitFor(() => received.includes("marker"), "the marker");
    await sleep(50);
    assert.deepEqual(received, ["marker"]);
    await unlisten();
  });

  test("unlisten stops delivery", async (db) => {
    const a: string[] = [];
    const b: string[] = [];
    const unlistenA = await db.listen("bf_a", (payload) => a.push(payload));
    const unlistenB = await db.listen("bf_b", (payload) => b.push(payload));
    await unlistenA();
    await db.query("SELECT pg_notify('bf_a', 'after unlisten')");
    await db.query("SELECT pg_notify('bf_b', 'marker')");
    await waitFor(() => b.length === 1, "the marker");
    await sleep(50);
    assert.deepEqual(a, []);
    assert.deepEqual(b, ["marker"]);
    await unlistenB();
  });

  test("migrate creates bfdb and is idempotent", async (db) => {
    const all = await loadMigrations();
    assert.ok(all.length >= 2, "expected the numbered migrations");
    const applied = await migrate(db);
    assert.deepEqual(applied, all.map((m) => m.version));
    assert.deepEqual(await migrate(db), []);
    const recorded = await db.query<{ version: number; name: string }>(
      "SELECT version, name FROM bfdb_migrations ORDER BY version",
    );
    assert.deepEqual(
      recorded.map((r) => ({ version: r.version, name: r.name })),
      all.map((m) => ({ version: m.version, name: m.name })),
    );
    const columns = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_name = 'bfdb' ORDER BY ordinal_position`,
    );
    assert.deepEqual(columns.map((c) => c.column_name), [
      "bf_gid",
      "bf_oid",
      "bf_cid",
      "bf_sid",
      "bf_tid",
      "bf_s_class_name",
      "bf_t_class_name",
      "class_name",
      "props",
      "sort_value",
      "created_at",
      "last_updated",
    ]);
    const iso = await db.query<{ iso: string }>(
      "SELECT bfdb_iso('2024-01-02T03:04:05.678Z'::timestamptz) AS iso",
    );
    assert.equal(iso[0].iso, "2024-01-02T03:04:05.678Z");
    await db.query(
      `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
       VALUES ($1, $2, $2, $3, $4::text::jsonb, $5)`,
      ["g1", "org", "Thing", JSON.stringify({ name: "x" }), Date.now()],
    );
    const rows = await db.query<{ props: unknown }>("SELECT props FROM bfdb");
    assert.deepEqual(rows.map((r) => r.props), [{ name: "x" }]);
  });

  test("close makes the backend unusable", async (db) => {
    const rows = await db.query<{ one: number }>("SELECT 1 AS one");
    assert.equal(rows[0].one, 1);
    await db.close();
    await assert.rejects(db.query("SELECT 1"));
  });
}

function bytewise(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

/** Closes a backend, tolerating one the test has already closed. */
async function closeQuietly(backend: BfDbBackend): Promise<void> {
  try {
    await backend.close();
  } catch {
    // already closed by the test
  }
}

backendConformance("PostgresBackend", async () => {
  const { name, url } = await createEmptyDatabase();
  const backend = new PostgresBackend(url);
  return {
    backend,
    dispose: async () => {
      try {
        await closeQuietly(backend);
      } finally {
        await dropDatabase(name);
      }
    },
  };
});

// The same suite through a transaction pooler (a private PgBouncer in front of the test
// server), LISTEN on a direct connection beside it: what holds here holds behind one.
backendConformance(
  "PostgresBackend through PgBouncer (transaction mode, LISTEN direct)",
  async () => {
    // The pooler first: a database made before a pooler that fails to start would be left behind.
    const bouncer = await startPgBouncer();
    const { name, url } = await createEmptyDatabase().catch(async (error) => {
      await bouncer.stop();
      throw error;
    });
    const backend = new PostgresBackend(bouncer.urlFor(url), {
      pooler: "transaction",
      listenUrl: url,
    });
    return {
      backend,
      dispose: async () => {
        try {
          await closeQuietly(backend);
          await bouncer.stop();
        } finally {
          await dropDatabase(name);
        }
      },
    };
  },
);

backendConformance("PgliteBackend (memory)", async () => {
  const backend = await PgliteBackend.open();
  return { backend, dispose: () => closeQuietly(backend) };
});

Deno.test({
  name: "PgliteBackend (directory): data persists across close and reopen",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "bfdb_pglite_" });
    try {
      const first = await PgliteBackend.open(`${dir}/data`);
      try {
        // One process at a time: a second opener of the same directory is refused.
        await assert.rejects(
          PgliteBackend.open(`${dir}/data`),
          EmbeddedDatabaseBusyError,
        );
        assert.notDeepEqual(await migrate(first), []);
        await first.query(
          `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
           VALUES ($1, $2, $2, $3, $4::text::jsonb, $5)`,
          ["persisted", "org", "Thing", JSON.stringify({ name: "kept" }), 1],
        );
      } finally {
        await first.close();
      }
      const second = await PgliteBackend.open(`${dir}/data`);
      try {
        assert.deepEqual(await migrate(second), []);
        const rows = await second.query<{ bf_gid: string; props: unknown }>(
          "SELECT bf_gid, props FROM bfdb",
        );
        assert.deepEqual(rows.map((r) => ({ ...r })), [
          { bf_gid: "persisted", props: { name: "kept" } },
        ]);
      } finally {
        await second.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
