/**
 * `bfDb.transaction`: every node operation inside it shares one database
 * transaction; a throw rolls all of it back; nested calls join the outer one.
 */
import assert from "node:assert/strict";
import { bfDb } from "./bfDb.ts";
import { BfEdge } from "./classes/BfEdge.ts";
import { CurrentViewer } from "./CurrentViewer.ts";
import { BfValidationError } from "./errors.ts";
import { migrate } from "./migrate.ts";
import { PgliteBackend } from "./storage/PgliteBackend.ts";
import { BfExamplePerson, BfExampleThing } from "./testing/ExampleNodes.ts";
import { dbTest } from "./testing/testDatabase.ts";

const cv = CurrentViewer.forOrg("org_tx");

async function names(): Promise<string[]> {
  const rows = await bfDb.query<{ name: string }>(
    `SELECT props->>'name' AS name FROM bfdb WHERE class_name <> 'BfEdge' ORDER BY props->>'name'`,
  );
  return rows.map((r) => r.name);
}

/** A promise with its resolver, to make two transactions take turns. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => fire = resolve);
  return { promise, fire };
}

dbTest("a transaction commits every write and returns fn's value", async () => {
  assert.equal(bfDb.inTransaction, false);
  const result = await bfDb.transaction(async () => {
    assert.equal(bfDb.inTransaction, true);
    const thing = await BfExampleThing.create({ name: "a" }, cv);
    await BfExamplePerson.create({ name: "b" }, cv);
    thing.props.count = 5;
    await thing.save();
    return thing.id;
  });
  assert.equal(bfDb.inTransaction, false);
  assert.deepEqual(await names(), ["a", "b"]);
  assert.equal((await BfExampleThing.findX(cv, result)).props.count, 5);
});

dbTest("a throw after two writes rolls both back", async () => {
  const boom = new Error("after two writes");
  await assert.rejects(
    bfDb.transaction(async () => {
      await BfExampleThing.create({ name: "first" }, cv);
      await BfExamplePerson.create({ name: "second" }, cv);
      assert.deepEqual(await names(), ["first", "second"]);
      throw boom;
    }),
    (error) => error === boom,
  );
  assert.deepEqual(await names(), []);
});

dbTest(
  "a validation error inside a transaction rolls back earlier writes",
  async () => {
    const existing = await BfExampleThing.create({ name: "existing" }, cv);
    await assert.rejects(
      bfDb.transaction(async () => {
        existing.props.count = 99;
        await existing.save();
        await BfExampleThing.create({ name: "new" }, cv);
        await BfExampleThing.create(
          { name: "bad", color: "purple" as never },
          cv,
        );
      }),
      BfValidationError,
    );
    assert.deepEqual(await names(), ["existing"]);
    assert.equal((await BfExampleThing.findX(cv, existing.id)).props.count, 0);
  },
);

dbTest(
  "an SQL error inside a transaction rolls back earlier writes",
  async () => {
    await assert.rejects(
      bfDb.transaction(async () => {
        await BfExampleThing.create({ name: "doomed" }, cv);
        await bfDb.query("SELECT 1 / 0");
      }),
      /division by zero/,
    );
    assert.deepEqual(await names(), []);
  },
);

dbTest(
  "delete inside a rolled-back transaction is undone, edges included",
  async () => {
    const thing = await BfExampleThing.create({ name: "kept" }, cv);
    const owner = await BfExamplePerson.create({ name: "owner" }, cv);
    await BfEdge.link(owner, thing, cv, "owns");
    await assert.rejects(
      bfDb.transaction(async () => {
        assert.equal(await thing.delete(), true);
        assert.equal(await BfExampleThing.find(cv, thing.id), null);
        assert.deepEqual(await owner.queryTargets(BfExampleThing), []);
        throw new Error("undo");
      }),
      /undo/,
    );
    assert.ok(await BfExampleThing.find(cv, thing.id));
    const targets = await owner.queryTargets(BfExampleThing, "owns");
    assert.deepEqual(targets.map((n) => n.id), [thing.id]);
  },
);

dbTest("raw bfDb.query joins the ambient transaction", async () => {
  await assert.rejects(
    bfDb.transaction(async () => {
      await bfDb.query(
        `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
         VALUES ($1, $2, $2, 'Raw', $3::text::jsonb, 0)`,
        ["raw-1", "org_tx", JSON.stringify({ name: "raw" })],
      );
      const pid = await bfDb.query<{ pid: number }>(
        "SELECT pg_backend_pid() AS pid",
      );
      const again = await bfDb.query<{ pid: number }>(
        "SELECT pg_backend_pid() AS pid",
      );
      assert.equal(
        pid[0].pid,
        again[0].pid,
        "one connection for the whole transaction",
      );
      const xact = await bfDb.query<{ x: string }>(
        "SELECT txid_current_if_assigned()::text AS x",
      );
      assert.notEqual(xact[0].x, null, "the insert runs in this transaction");
      throw new Error("roll back the raw insert");
    }),
    /raw insert/,
  );
  assert.deepEqual(await names(), []);
});

dbTest(
  "a nested transaction joins the outer one: it commits with it",
  async () => {
    await bfDb.transaction(async () => {
      const outerTx = await bfDb.query<{ x: string }>(
        "SELECT txid_current()::text AS x",
      );
      await BfExampleThing.create({ name: "outer" }, cv);
      await bfDb.transaction(async () => {
        const innerTx = await bfDb.query<{ x: string }>(
          "SELECT txid_current()::text AS x",
        );
        assert.equal(innerTx[0].x, outerTx[0].x, "same database transaction");
        await BfExampleThing.create({ name: "inner" }, cv);
      });
    });
    assert.deepEqual(await names(), ["inner", "outer"]);
  },
);

dbTest(
  "a throw leaving the outer transaction rolls back inner writes too",
  async () => {
    await assert.rejects(
      bfDb.transaction(async () => {
        await BfExampleThing.create({ name: "outer" }, cv);
        await bfDb.transaction(async () => {
          await BfExampleThing.create({ name: "inner" }, cv);
        });
        throw new Error("outer fails after the inner one finished");
      }),
      /outer fails/,
    );
    assert.deepEqual(await names(), []);
  },
);

dbTest(
  "an inner throw propagating out of the outer rolls back everything",
  async () => {
    await assert.rejects(
      bfDb.transaction(async () => {
        await BfExampleThing.create({ name: "outer" }, cv);
        await bfDb.transaction(async () => {
          await BfExampleThing.create({ name: "inner" }, cv);
          throw new Error("inner fails");
        });
      }),
      /inner fails/,
    );
    assert.deepEqual(await names(), []);
  },
);

dbTest(
  "an inner throw the outer catches does not undo the inner writes (no savepoint)",
  async () => {
    // Nested calls join the outer transaction rather than opening a savepoint, so an
    // inner failure caught by the outer code leaves the inner writes in place, and they
    // commit with the outer transaction. Code that needs partial rollback must not
    // swallow the error.
    await bfDb.transaction(async () => {
      await BfExampleThing.create({ name: "outer" }, cv);
      await assert.rejects(
        bfDb.transaction(async () => {
          await BfExampleThing.create({ name: "inner" }, cv);
          throw new Error("inner fails");
        }),
        /inner fails/,
      );
      await BfExampleThing.create({ name: "after" }, cv);
    });
    assert.deepEqual(await names(), ["after", "inner", "outer"]);
  },
);

dbTest(
  "concurrent transactions do not see each other's uncommitted rows",
  async () => {
    const aWrote = signal();
    const bWrote = signal();
    const outsideLooked = signal();
    const txA = bfDb.transaction(async () => {
      await BfExampleThing.create({ name: "from A" }, cv);
      aWrote.fire();
      await bWrote.promise;
      // A sees its own row, not B's, while both are open.
      const seen = await names();
      await outsideLooked.promise;
      return seen;
    });
    const txB = bfDb.transaction(async () => {
      await aWrote.promise;
      const before = await names();
      await BfExamplePerson.create({ name: "from B" }, cv);
      bWrote.fire();
      const after = await names();
      await outsideLooked.promise;
      return { before, after };
    });
    await bWrote.promise;
    // Outside both open transactions, neither row is visible.
    const outside = await names();
    outsideLooked.fire();
    const [seenByA, seenByB] = await Promise.all([txA, txB]);
    assert.deepEqual(outside, []);
    assert.deepEqual(seenByA, ["from A"]);
    assert.deepEqual(seenByB, { before: [], after: ["from B"] });
    assert.deepEqual(await names(), ["from A", "from B"]);
  },
);

dbTest("a failing transaction does not disturb a concurrent one", async () => {
  const bothWrote = { a: signal(), b: signal() };
  const failing = bfDb.transaction(async () => {
    await BfExampleThing.create({ name: "failing" }, cv);
    bothWrote.a.fire();
    await bothWrote.b.promise;
    throw new Error("only this one fails");
  });
  const succeeding = bfDb.transaction(async () => {
    await BfExampleThing.create({ name: "succeeding" }, cv);
    bothWrote.b.fire();
    await bothWrote.a.promise;
  });
  const [a, b] = await Promise.allSettled([failing, succeeding]);
  assert.equal(a.status, "rejected");
  assert.equal(b.status, "fulfilled");
  assert.deepEqual(await names(), ["succeeding"]);
});

dbTest(
  "without a backend, bfDb opens the environment's database on first use",
  async ({ backend, url }) => {
    const saved = bfDb.backend;
    assert.equal(saved, backend);
    const savedUrl = Deno.env.get("DATABASE_URL");
    Deno.env.set("DATABASE_URL", url);
    bfDb.use(undefined as never);
    try {
      assert.equal(bfDb.isReady, false);
      assert.throws(() => bfDb.backend, /bfDb.ready\(\).*bfDb.use/);
      const rows = await bfDb.query<{ one: number }>("SELECT 1 AS one");
      assert.equal(rows[0].one, 1);
      assert.notEqual(
        bfDb.backend,
        saved,
        "a backend of its own, from DATABASE_URL",
      );
      assert.equal(bfDb.backend.kind, "postgres");
      assert.equal(await bfDb.ready(), bfDb.backend, "opened once");
    } finally {
      await bfDb.close();
      if (savedUrl === undefined) Deno.env.delete("DATABASE_URL");
      else Deno.env.set("DATABASE_URL", savedUrl);
      bfDb.use(saved);
    }
    assert.equal(bfDb.isReady, true);
  },
);

Deno.test({
  name: "node operations and transactions run the same on the embedded backend",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const backend = await PgliteBackend.open();
    try {
      await migrate(backend);
      bfDb.use(backend);
      const thing = await BfExampleThing.create(
        { name: "embedded", data: { n: [1, "x"] } },
        cv,
      );
      const person = await BfExamplePerson.create({ name: "owner" }, cv);
      await BfEdge.link(person, thing, cv, "owns");
      const found = await BfExampleThing.findX(cv, thing.id);
      assert.deepEqual(found.props, thing.props);
      assert.deepEqual(found.metadata, thing.metadata);
      assert.equal(typeof found.metadata.sortValue, "number");
      thing.props.count = 3;
      await thing.save();
      assert.deepEqual(
        (await BfExampleThing.query(cv, { props: { count: 3 } })).map((n) =>
          n.id
        ),
        [thing.id],
      );
      await assert.rejects(
        bfDb.transaction(async () => {
          await BfExampleThing.create({ name: "first" }, cv);
          await bfDb.transaction(() =>
            BfExamplePerson.create({ name: "second" }, cv)
          );
          throw new Error("roll back both");
        }),
        /roll back both/,
      );
      assert.deepEqual(await names(), ["embedded", "owner"]);
      assert.deepEqual(
        (await person.queryTargets(BfExampleThing, "owns")).map((n) => n.id),
        [thing.id],
      );
      assert.equal(await thing.delete(), true);
      assert.deepEqual(await person.queryTargets(BfExampleThing), []);
    } finally {
      await bfDb.close();
    }
  },
});
