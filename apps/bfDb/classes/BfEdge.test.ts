/**
 * Edges are rows of the same table: link two nodes, walk to targets and sources
 * (optionally by role), and lose a node's edges when it is deleted.
 */
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { BfExamplePerson, BfExampleThing } from "../testing/ExampleNodes.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfEdge } from "./BfEdge.ts";

const cv = CurrentViewer.forOrg("org_edges", "person_e");
const ids = (nodes: { id: string }[]) => nodes.map((n) => n.id);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function countEdges(): Promise<number> {
  const rows = await bfDb.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM bfdb WHERE class_name = 'BfEdge'",
  );
  return rows[0].n;
}

dbTest("link stores an edge row with both ends and their classes", async () => {
  const person = await BfExamplePerson.create({ name: "p" }, cv);
  const thing = await BfExampleThing.create({ name: "t" }, cv);
  const edge = await BfEdge.link(person, thing, cv, "owns");
  assert.ok(edge instanceof BfEdge);
  assert.deepEqual(edge.props, { role: "owns" });
  assert.equal(edge.metadata.className, "BfEdge");
  assert.equal(edge.metadata.bfOid, "org_edges");
  assert.equal(edge.metadata.bfCid, "person_e");
  assert.equal(edge.metadata.bfSid, person.id);
  assert.equal(edge.metadata.bfTid, thing.id);
  assert.equal(edge.metadata.bfSClassName, "BfExamplePerson");
  assert.equal(edge.metadata.bfTClassName, "BfExampleThing");
  const found = await BfEdge.findX(cv, edge.id);
  assert.deepEqual(found.metadata, edge.metadata);
  // The default role is the empty string.
  const plain = await BfEdge.link(thing, person, cv);
  assert.deepEqual(plain.props, { role: "" });
});

dbTest("queryTargets and querySources walk edges by class", async () => {
  const alice = await BfExamplePerson.create({ name: "alice" }, cv);
  const bob = await BfExamplePerson.create({ name: "bob" }, cv);
  const t1 = await BfExampleThing.create({ name: "t1" }, cv);
  const t2 = await BfExampleThing.create({ name: "t2" }, cv);
  await BfEdge.link(alice, t1, cv, "owns");
  await pause(2);
  await BfEdge.link(alice, t2, cv, "likes");
  await pause(2);
  await BfEdge.link(alice, bob, cv, "knows");
  await BfEdge.link(bob, t1, cv, "likes");

  const targets = await alice.queryTargets(BfExampleThing);
  assert.deepEqual(ids(targets), [t1.id, t2.id]);
  assert.ok(targets.every((n) => n instanceof BfExampleThing));
  assert.deepEqual(targets.map((n) => n.props.name), ["t1", "t2"]);
  assert.deepEqual(ids(await alice.queryTargets(BfExamplePerson)), [bob.id]);
  assert.deepEqual(ids(await bob.querySources(BfExamplePerson)), [alice.id]);
  assert.deepEqual(ids(await t1.querySources(BfExamplePerson)), [
    alice.id,
    bob.id,
  ]);
  assert.deepEqual(ids(await t2.querySources(BfExamplePerson)), [alice.id]);
  // Edges are directed.
  assert.deepEqual(await t1.queryTargets(BfExamplePerson), []);
  assert.deepEqual(await bob.queryTargets(BfExamplePerson), []);
});

dbTest("a role filter keeps only edges of that role", async () => {
  const alice = await BfExamplePerson.create({ name: "alice" }, cv);
  const bob = await BfExamplePerson.create({ name: "bob" }, cv);
  const t1 = await BfExampleThing.create({ name: "t1" }, cv);
  const t2 = await BfExampleThing.create({ name: "t2" }, cv);
  await BfEdge.link(alice, t1, cv, "owns");
  await BfEdge.link(alice, t2, cv, "likes");
  await pause(2);
  await BfEdge.link(bob, t1, cv, "likes");
  await BfEdge.link(bob, t2, cv);

  assert.deepEqual(ids(await alice.queryTargets(BfExampleThing, "owns")), [
    t1.id,
  ]);
  assert.deepEqual(ids(await alice.queryTargets(BfExampleThing, "likes")), [
    t2.id,
  ]);
  assert.deepEqual(await alice.queryTargets(BfExampleThing, "knows"), []);
  assert.deepEqual(ids(await t1.querySources(BfExamplePerson, "likes")), [
    bob.id,
  ]);
  assert.deepEqual(ids(await t2.querySources(BfExamplePerson, "")), [bob.id]);
  assert.deepEqual(ids(await t2.querySources(BfExamplePerson)), [
    alice.id,
    bob.id,
  ]);
});

dbTest("two edges between the same nodes yield the target twice", async () => {
  const alice = await BfExamplePerson.create({ name: "alice" }, cv);
  const t = await BfExampleThing.create({ name: "t" }, cv);
  await BfEdge.link(alice, t, cv, "owns");
  await BfEdge.link(alice, t, cv, "likes");
  assert.deepEqual(ids(await alice.queryTargets(BfExampleThing)), [t.id, t.id]);
  assert.deepEqual(ids(await alice.queryTargets(BfExampleThing, "likes")), [
    t.id,
  ]);
});

dbTest(
  "deleting a node deletes every edge touching it, and no others",
  async () => {
    const alice = await BfExamplePerson.create({ name: "alice" }, cv);
    const bob = await BfExamplePerson.create({ name: "bob" }, cv);
    const t = await BfExampleThing.create({ name: "t" }, cv);
    await BfEdge.link(alice, t, cv, "owns");
    await BfEdge.link(t, alice, cv, "owned by");
    await BfEdge.link(bob, t, cv, "likes");
    const kept = await BfEdge.link(alice, bob, cv, "knows");
    assert.equal(await countEdges(), 4);

    assert.equal(await t.delete(), true);
    assert.equal(await countEdges(), 1);
    assert.ok(await BfEdge.find(cv, kept.id));
    assert.deepEqual(await alice.queryTargets(BfExampleThing), []);
    assert.deepEqual(await bob.queryTargets(BfExampleThing), []);
    assert.deepEqual(ids(await alice.queryTargets(BfExamplePerson)), [bob.id]);
    // The people themselves are untouched.
    assert.equal((await BfExamplePerson.query(cv)).length, 2);
  },
);

dbTest("deleting an edge unlinks without touching either node", async () => {
  const alice = await BfExamplePerson.create({ name: "alice" }, cv);
  const t = await BfExampleThing.create({ name: "t" }, cv);
  const edge = await BfEdge.link(alice, t, cv);
  assert.equal(await edge.delete(), true);
  assert.deepEqual(await alice.queryTargets(BfExampleThing), []);
  assert.ok(await BfExamplePerson.find(cv, alice.id));
  assert.ok(await BfExampleThing.find(cv, t.id));
});

dbTest("edge roles are validated like any prop", async () => {
  const alice = await BfExamplePerson.create({ name: "alice" }, cv);
  const t = await BfExampleThing.create({ name: "t" }, cv);
  await assert.rejects(
    BfEdge.link(alice, t, cv, "nul\u0000role"),
    /BfEdge\.role/,
  );
  // deno-lint-ignore no-explicit-any
  await assert.rejects(BfEdge.link(alice, t, cv, 42 as any), /BfEdge\.role/);
  assert.equal(await countEdges(), 0);
});
