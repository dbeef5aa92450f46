/**
 * BfNode against a real PostgreSQL database (a fresh one per test): create,
 * find, findX, query, save, delete, metadata, and validation that writes nothing.
 */
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { BfNotFoundError, BfValidationError } from "../errors.ts";
import { BfExamplePerson, BfExampleThing } from "../testing/ExampleNodes.ts";
import { dbTest } from "../testing/testDatabase.ts";

const cv = CurrentViewer.forOrg("org_a", "person_1");

async function countRows(): Promise<number> {
  const rows = await bfDb.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM bfdb",
  );
  return rows[0].n;
}

async function rawRow(id: string) {
  const rows = await bfDb.query<
    { class_name: string; props: Record<string, unknown>; bf_oid: string }
  >("SELECT class_name, props, bf_oid FROM bfdb WHERE bf_gid = $1", [id]);
  assert.equal(rows.length, 1, `expected one row for ${id}`);
  return rows[0];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

dbTest("create stores each field kind and fills defaults", async () => {
  const thing = await BfExampleThing.create({ name: "plain" }, cv);
  const expected = { name: "plain", count: 0, active: true, color: "red" };
  assert.deepEqual(thing.props, expected);
  const row = await rawRow(thing.id);
  assert.equal(row.class_name, "BfExampleThing");
  // Optional fields left out are absent from the stored props, not null.
  assert.deepEqual(row.props, expected);
  assert.deepEqual((await BfExampleThing.findX(cv, thing.id)).props, expected);
});

dbTest("create keeps explicit values of every kind", async () => {
  const props = {
    name: "full",
    count: -12.5,
    active: false,
    data: { list: [1, "two", null, true, { deep: [] }], n: 1e-7 },
    color: "blue" as const,
    note: "a note",
  };
  const thing = await BfExampleThing.create(props, cv);
  assert.deepEqual(thing.props, props);
  assert.deepEqual((await rawRow(thing.id)).props, props);
  assert.deepEqual((await BfExampleThing.findX(cv, thing.id)).props, props);
});

dbTest("json fields store scalars and null as given", async () => {
  for (const data of [null, 0, "text", false, [], {}]) {
    const thing = await BfExampleThing.create({ name: "j", data }, cv);
    assert.deepEqual(
      (await BfExampleThing.findX(cv, thing.id)).props.data,
      data,
    );
  }
});

dbTest("metadata is filled in and read back identically", async () => {
  const before = Date.now();
  const thing = await BfExampleThing.create({ name: "meta" }, cv);
  const after = Date.now();
  const m = thing.metadata;
  assert.match(
    m.bfGid,
    /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.equal(thing.id, m.bfGid);
  assert.equal(m.bfOid, "org_a");
  assert.equal(m.bfCid, "person_1");
  assert.equal(m.className, "BfExampleThing");
  assert.equal(typeof m.sortValue, "number");
  assert.ok(m.sortValue >= before && m.sortValue <= after, "sortValue is now");
  assert.ok(m.createdAt instanceof Date && m.lastUpdated instanceof Date);
  // The server's clock stamps the row; allow a little skew against ours.
  assert.ok(Math.abs(m.createdAt.getTime() - before) < 5000);
  assert.equal(m.lastUpdated.getTime(), m.createdAt.getTime());
  assert.equal(m.bfSid, undefined);
  assert.equal(m.bfTid, undefined);
  const found = await BfExampleThing.findX(cv, thing.id);
  assert.deepEqual(found.metadata, m);
  assert.equal(found.cv, cv);
  assert.ok(found instanceof BfExampleThing);
});

dbTest("createMany inserts all nodes in order, with distinct ids", async () => {
  const nodes = await BfExampleThing.createMany(
    [{ name: "one" }, { name: "two", color: "green" }, { name: "three" }],
    cv,
  );
  assert.deepEqual(nodes.map((n) => n.props.name), ["one", "two", "three"]);
  assert.equal(nodes[1].props.color, "green");
  assert.equal(nodes[2].props.count, 0);
  assert.equal(new Set(nodes.map((n) => n.id)).size, 3);
  for (const node of nodes) {
    assert.ok(node instanceof BfExampleThing);
    assert.deepEqual(
      (await BfExampleThing.findX(cv, node.id)).props,
      node.props,
    );
  }
  assert.deepEqual(await BfExampleThing.createMany([], cv), []);
  assert.equal(await countRows(), 3);
});

dbTest(
  "createMany validates every input first: one bad input writes none",
  async () => {
    await assert.rejects(
      BfExampleThing.createMany(
        // deno-lint-ignore no-explicit-any
        [{ name: "fine" }, { name: "bad", color: "purple" } as any],
        cv,
      ),
      (error: unknown) =>
        error instanceof BfValidationError && error.field === "color",
    );
    assert.equal(await countRows(), 0);
  },
);

dbTest(
  "every validation error names class and field and writes nothing",
  async () => {
    await BfExampleThing.create({ name: "existing" }, cv);
    const cases: [string, Record<string, unknown>][] = [
      ["name", { name: 42 }],
      ["name", {}],
      ["name", { name: null }],
      ["name", { name: "nul\u0000" }],
      ["count", { name: "n", count: "7" }],
      ["count", { name: "n", count: NaN }],
      ["count", { name: "n", count: Infinity }],
      ["count", { name: "n", count: -Infinity }],
      ["active", { name: "n", active: "yes" }],
      ["color", { name: "n", color: "purple" }],
      ["color", { name: "n", color: "RED" }],
      ["data", { name: "n", data: new Date() }],
      ["data", { name: "n", data: { f: () => 1 } }],
      ["data", { name: "n", data: ["nul\u0000"] }],
      ["data", { name: "n", data: { n: NaN } }],
      ["note", { name: "n", note: 5 }],
      ["colour", { name: "n", colour: "red" }],
      ["bfOid", { name: "n", bfOid: "org_b" }],
    ];
    for (const [field, props] of cases) {
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        BfExampleThing.create(props as any, cv),
        (error: unknown) => {
          assert.ok(error instanceof BfValidationError, String(error));
          assert.equal(error.className, "BfExampleThing");
          assert.equal(error.field, field);
          assert.ok(error.message.startsWith(`BfExampleThing.${field}: `));
          return true;
        },
        `create(${JSON.stringify(props)})`,
      );
    }
    assert.equal(await countRows(), 1);
  },
);

dbTest("find returns null and findX throws for unknown ids", async () => {
  const thing = await BfExampleThing.create({ name: "x" }, cv);
  assert.equal(await BfExampleThing.find(cv, "no-such-id"), null);
  await assert.rejects(
    BfExampleThing.findX(cv, "no-such-id"),
    (error: unknown) =>
      error instanceof BfNotFoundError &&
      error.className === "BfExampleThing" && error.id === "no-such-id",
  );
  // A node is found only through its own class.
  assert.equal(await BfExamplePerson.find(cv, thing.id), null);
  await assert.rejects(BfExamplePerson.findX(cv, thing.id), BfNotFoundError);
});

dbTest(
  "query matches props by containment and keeps classes apart",
  async () => {
    const red = await BfExampleThing.create(
      { name: "r", color: "red", data: { tags: ["a", "b"], size: 1 } },
      cv,
    );
    const blue = await BfExampleThing.create(
      { name: "b", color: "blue", data: { tags: ["b"], size: 2 } },
      cv,
    );
    await BfExamplePerson.create({ name: "r" }, cv);

    const ids = (nodes: { id: string }[]) => nodes.map((n) => n.id);
    assert.deepEqual(ids(await BfExampleThing.query(cv)), [red.id, blue.id]);
    assert.deepEqual(
      ids(await BfExampleThing.query(cv, { props: { color: "blue" } })),
      [
        blue.id,
      ],
    );
    assert.deepEqual(
      ids(await BfExampleThing.query(cv, { props: { name: "r" } })),
      [red.id],
    );
    assert.deepEqual(
      ids(await BfExampleThing.query(cv, { props: { data: { tags: ["b"] } } })),
      [red.id, blue.id],
    );
    assert.deepEqual(
      ids(await BfExampleThing.query(cv, { props: { data: { tags: ["a"] } } })),
      [red.id],
    );
    assert.deepEqual(
      ids(
        await BfExampleThing.query(cv, { props: { color: "blue", name: "r" } }),
      ),
      [],
    );
    assert.deepEqual(
      ids(await BfExampleThing.query(cv, { props: { color: "green" } })),
      [],
    );
    const people = await BfExamplePerson.query(cv);
    assert.equal(people.length, 1);
    assert.ok(people[0] instanceof BfExamplePerson);
    assert.ok(
      (await BfExampleThing.query(cv)).every((n) =>
        n instanceof BfExampleThing
      ),
    );
  },
);

dbTest(
  "query orders by sortValue, createdAt or lastUpdated, and limits",
  async () => {
    const a = await BfExampleThing.create({ name: "a" }, cv);
    await pause(5);
    const b = await BfExampleThing.create({ name: "b" }, cv);
    await pause(5);
    const c = await BfExampleThing.create({ name: "c" }, cv);
    await pause(5);
    a.props.note = "touched";
    await a.save();
    // sortValue is the application's own order; give it one unlike creation order.
    for (const [node, sortValue] of [[a, 30], [b, 10], [c, 20]] as const) {
      await bfDb.query("UPDATE bfdb SET sort_value = $1 WHERE bf_gid = $2", [
        sortValue,
        node.id,
      ]);
    }

    const names = async (options: Parameters<typeof BfExampleThing.query>[1]) =>
      (await BfExampleThing.query(cv, options)).map((n) => n.props.name);
    assert.deepEqual(await names({}), ["b", "c", "a"]);
    assert.deepEqual(await names({ direction: "desc" }), ["a", "c", "b"]);
    assert.deepEqual(await names({ orderBy: "createdAt" }), ["a", "b", "c"]);
    assert.deepEqual(await names({ orderBy: "createdAt", direction: "desc" }), [
      "c",
      "b",
      "a",
    ]);
    assert.deepEqual(
      await names({ orderBy: "lastUpdated", direction: "desc" }),
      ["a", "c", "b"],
    );
    assert.deepEqual(await names({ limit: 2 }), ["b", "c"]);
    assert.deepEqual(await names({ limit: 1, direction: "desc" }), ["a"]);
    assert.deepEqual(await names({ limit: 0 }), []);
    const sorted = await BfExampleThing.query(cv);
    assert.deepEqual(sorted.map((n) => n.metadata.sortValue), [10, 20, 30]);
  },
);

dbTest(
  "query rejects an unknown order column before reaching SQL",
  async () => {
    for (
      const orderBy of [
        "name",
        "constructor",
        "toString",
        "sort_value; DROP TABLE bfdb",
      ]
    ) {
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        BfExampleThing.query(cv, { orderBy: orderBy as any }),
        TypeError,
        orderBy,
      );
    }
    const exists = await bfDb.query<{ t: string | null }>(
      "SELECT to_regclass('bfdb')::text AS t",
    );
    assert.equal(exists[0].t, "bfdb");
  },
);

dbTest("save writes props and moves lastUpdated, not createdAt", async () => {
  const thing = await BfExampleThing.create(
    { name: "v1", note: "drop me" },
    cv,
  );
  const created = thing.metadata.createdAt.getTime();
  await pause(10);
  thing.props.name = "v2";
  thing.props.count = 7;
  thing.props.color = "green";
  thing.props.data = { saved: true };
  delete thing.props.note;
  const returned = await thing.save();
  assert.equal(returned, thing);
  assert.ok(
    thing.metadata.lastUpdated.getTime() > created,
    "lastUpdated moved",
  );
  const found = await BfExampleThing.findX(cv, thing.id);
  assert.deepEqual(found.props, {
    name: "v2",
    count: 7,
    active: true,
    color: "green",
    data: { saved: true },
  });
  assert.equal(found.metadata.createdAt.getTime(), created);
  assert.equal(
    found.metadata.lastUpdated.getTime(),
    thing.metadata.lastUpdated.getTime(),
  );
  assert.equal(await countRows(), 1);
});

dbTest("save validates and writes nothing when props are wrong", async () => {
  const thing = await BfExampleThing.create({ name: "ok", color: "blue" }, cv);
  const stored = (await rawRow(thing.id)).props;
  const lastUpdated = thing.metadata.lastUpdated.getTime();
  const cases: [string, (p: Record<string, unknown>) => void][] = [
    ["name", (p) => p.name = 1],
    ["name", (p) => delete p.name],
    ["count", (p) => delete p.count],
    ["count", (p) => p.count = NaN],
    ["color", (p) => p.color = "purple"],
    ["data", (p) => p.data = new Date()],
    ["extra", (p) => p.extra = true],
  ];
  for (const [field, spoil] of cases) {
    const copy = await BfExampleThing.findX(cv, thing.id);
    spoil(copy.props as Record<string, unknown>);
    await assert.rejects(
      copy.save(),
      (error: unknown) =>
        error instanceof BfValidationError &&
        error.className === "BfExampleThing" && error.field === field,
    );
    assert.equal(copy.metadata.lastUpdated.getTime(), lastUpdated);
  }
  assert.deepEqual((await rawRow(thing.id)).props, stored);
});

dbTest(
  "save of a deleted node throws BfNotFoundError and recreates nothing",
  async () => {
    const thing = await BfExampleThing.create({ name: "gone" }, cv);
    const stale = await BfExampleThing.findX(cv, thing.id);
    assert.equal(await thing.delete(), true);
    stale.props.name = "resurrected";
    await assert.rejects(stale.save(), BfNotFoundError);
    assert.equal(await countRows(), 0);
  },
);

dbTest("delete removes the node once and only that node", async () => {
  const keep = await BfExampleThing.create({ name: "keep" }, cv);
  const gone = await BfExampleThing.create({ name: "gone" }, cv);
  assert.equal(await gone.delete(), true);
  assert.equal(await BfExampleThing.find(cv, gone.id), null);
  assert.equal(await gone.delete(), false);
  assert.deepEqual((await BfExampleThing.query(cv)).map((n) => n.id), [
    keep.id,
  ]);
  assert.equal(await countRows(), 1);
});

dbTest(
  "query filters by metadata: creator and creation/update time ranges",
  async () => {
    const alice = CurrentViewer.forOrg("org_meta", "alice");
    const bob = CurrentViewer.forOrg("org_meta", "bob");
    const first = await BfExampleThing.create({ name: "first" }, alice);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cut = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await BfExampleThing.create({ name: "second" }, bob);
    const byBob = await BfExampleThing.query(alice, {
      metadata: { bfCid: "bob" },
    });
    assert.deepEqual(byBob.map((n) => n.id), [second.id]);
    const before = await BfExampleThing.query(alice, {
      metadata: { createdBefore: cut },
    });
    assert.deepEqual(before.map((n) => n.id), [first.id]);
    const after = await BfExampleThing.query(alice, {
      metadata: { createdAfter: cut },
    });
    assert.deepEqual(after.map((n) => n.id), [second.id]);
    first.props.count = 5;
    await first.save();
    const updated = await BfExampleThing.query(alice, {
      metadata: { updatedAfter: cut },
    });
    assert.deepEqual(
      updated.map((n) => n.id).sort(),
      [first.id, second.id].sort(),
    );
    await assert.rejects(
      () =>
        BfExampleThing.query(alice, {
          metadata: { createdAfter: new Date("nope") },
        }),
      /createdAfter must be a valid Date/,
    );
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      () => BfExampleThing.query(alice, { direction: "sideways" as any }),
      /direction must be/,
    );
  },
);
