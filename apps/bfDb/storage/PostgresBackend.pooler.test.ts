// What PostgresBackend does behind a transaction pooler (a real PgBouncer 1.18 in front of the
// test server) and what it tells the server about its connections.
import assert from "node:assert/strict";
import postgres from "postgres";
import { createEmptyDatabase, dropDatabase } from "../testing/testDatabase.ts";
import { startPgBouncer } from "../testing/pgbouncer.ts";
import { DEFAULT_WAIT_MS, waitFor } from "../testing/waitFor.ts";
import { migrate } from "../migrate.ts";
import { PostgresBackend } from "./PostgresBackend.ts";
import { listenUrlSetting, poolerMode } from "./pooler.ts";

/** Runs `fn` with a fresh empty database and a PgBouncer in transaction mode in front of it. */
async function withPooledDatabase(
  fn: (urls: { direct: string; pooled: string }) => Promise<void>,
): Promise<void> {
  // The pooler first: a database made before a pooler that fails to start would be left behind.
  await using bouncer = await startPgBouncer();
  const { name, url } = await createEmptyDatabase();
  try {
    await fn({ direct: url, pooled: bouncer.urlFor(url) });
  } finally {
    await dropDatabase(name);
  }
}

function test(name: string, fn: () => void | Promise<void>): void {
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn });
}

test("behind a transaction pooler: concurrent statements and transactions on few server connections", async () => {
  await withPooledDatabase(async ({ pooled }) => {
    // With postgres.js preparing (its default), this lost committed inserts without an error
    // (a COMMIT prepared on one server connection, bound on another, aborts the transaction,
    // and the retried COMMIT ends it as a ROLLBACK) or hung; unprepared, every one lands.
    const backend = new PostgresBackend(pooled, {
      pooler: "transaction",
      maxConnections: 8,
    });
    try {
      await migrate(backend);
      const sums = await Promise.all(
        Array.from({ length: 8 }, async (_, client) => {
          let sum = 0;
          for (let i = 0; i < 50; i++) {
            const [row] = await backend.query<{ n: number }>(
              "SELECT $1::int + $2::int AS n",
              [client, i],
            );
            sum += row.n;
            await backend.transaction(async (tx) => {
              await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [7]);
              await tx.query(
                "INSERT INTO bfdb_migrations (version, name) VALUES ($1, $2)",
                [10_000 + client * 100 + i, "pooler probe"],
              );
            });
          }
          return sum;
        }),
      );
      assert.deepEqual(
        sums,
        Array.from({ length: 8 }, (_, c) => 50 * c + (49 * 50) / 2),
      );
      const [{ n }] = await backend.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM bfdb_migrations WHERE name = $1",
        ["pooler probe"],
      );
      assert.equal(n, 400);
    } finally {
      await backend.close();
    }
  });
});

test("behind a transaction pooler: many callers on a small pool, statements without parameters among them, never hang", async () => {
  await withPooledDatabase(async ({ pooled }) => {
    // postgres.js pipelines a statement onto a busy connection; PgBouncer 1.18 hands the server
    // connection back at the first statement's end, and the next one's answer never came (the
    // bench's drain stalled 2 runs in 3). The backend now never has two statements outstanding
    // on one connection outside a transaction.
    const backend = new PostgresBackend(pooled, {
      pooler: "transaction",
      maxConnections: 3,
    });
    try {
      let done = 0;
      const work = Promise.all(
        Array.from({ length: 24 }, async (_, caller) => {
          for (let i = 0; i < 40; i++) {
            if (caller % 3 === 0) await backend.query("SELECT 1 AS one");
            else if (caller % 3 === 1) {
              await backend.query("SELECT $1::int AS n", [i]);
            } else {
              await backend.transaction(async (tx) => {
                await Promise.all([
                  tx.query("SELECT $1::text AS t", ["in"]),
                  tx.query("SELECT 2 AS two"),
                ]);
              });
            }
            done++;
          }
        }),
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([
        work.then(() => "done"),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve("hung"), DEFAULT_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      assert.equal(outcome, "done", `${done} of 960 statements answered`);
    } finally {
      await backend.close();
    }
  });
});

test("behind a transaction pooler without a direct URL there is no LISTEN (callers must poll)", async () => {
  await withPooledDatabase(async ({ pooled }) => {
    const backend = new PostgresBackend(pooled, { pooler: "transaction" });
    try {
      assert.equal(backend.notifications, false);
      await assert.rejects(
        backend.listen("bfdb_jobs", () => {}),
        /DATABASE_LISTEN_URL/,
      );
    } finally {
      await backend.close();
    }
    const direct = new PostgresBackend(pooled);
    try {
      assert.equal(direct.notifications, true);
    } finally {
      await direct.close();
    }
  });
});

test("a NOTIFY sent through the pooler reaches a LISTEN on the direct URL", async () => {
  await withPooledDatabase(async ({ direct, pooled }) => {
    const backend = new PostgresBackend(pooled, {
      pooler: "transaction",
      listenUrl: direct,
    });
    try {
      assert.equal(backend.notifications, true);
      const got: string[] = [];
      const unlisten = await backend.listen("pooler_probe", (p) => got.push(p));
      await backend.transaction(async (tx) => {
        await tx.query("SELECT pg_notify($1, $2)", ["pooler_probe", "hello"]);
      });
      await waitFor(() => got.length === 1, "the notice on the direct LISTEN");
      assert.deepEqual(got, ["hello"]);
      await unlisten();
    } finally {
      await backend.close();
    }
  });
});

test("application_name names the pool's connections and the LISTEN one", async () => {
  const { name, url } = await createEmptyDatabase();
  const observer = postgres(url, { max: 1, onnotice: () => {} });
  const backend = new PostgresBackend(url, {
    maxConnections: 3,
    applicationName: "bft worker-probe",
  });
  try {
    await backend.listen("probe", () => {});
    // More statements at once than the pool holds: it opens at most maxConnections.
    await Promise.all(
      Array.from(
        { length: 12 },
        () => backend.query("SELECT pg_sleep(0.05)"),
      ),
    );
    const rows = await observer<{ application_name: string; n: number }[]>`
      SELECT application_name, count(*)::int AS n FROM pg_stat_activity
       WHERE datname = ${name} AND application_name LIKE 'bft worker-probe%'
       GROUP BY 1 ORDER BY 1`;
    assert.deepEqual(rows.map((r) => ({ ...r })), [
      { application_name: "bft worker-probe", n: 3 },
      { application_name: "bft worker-probe listen", n: 1 },
    ]);
  } finally {
    await backend.close();
    await observer.end();
    await dropDatabase(name);
  }
});

test("DATABASE_POOLER and DATABASE_LISTEN_URL values are checked, naming the variable", () => {
  assert.equal(poolerMode(undefined), "none");
  assert.equal(poolerMode(" transaction "), "transaction");
  assert.throws(
    () => poolerMode("pgbouncer"),
    /^Error: DATABASE_POOLER must be one of none, transaction; got "pgbouncer"$/,
  );
  assert.equal(listenUrlSetting(""), undefined);
  assert.equal(
    listenUrlSetting("postgres://db:5432/app"),
    "postgres://db:5432/app",
  );
  assert.throws(
    () => listenUrlSetting("mysql://db/app"),
    /DATABASE_LISTEN_URL must be a URL starting with postgres: or postgresql:/,
  );
});
