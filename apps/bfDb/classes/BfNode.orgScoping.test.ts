/**
 * Every read and write is scoped to the viewer's org: org B cannot find, query,
 * save, delete or link org A's nodes, even holding their ids or a forged instance.
 */
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { BfNotFoundError } from "../errors.ts";
import { BfExampleThing } from "../testing/ExampleNodes.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfEdge } from "./BfEdge.ts";

// The same person acting in two orgs: only the org decides what is visible.
const orgA = CurrentViewer.forOrg("org_a", "person_1");
const orgB = CurrentViewer.forOrg("org_b", "person_1");

async function storedProps(id: string) {
  const rows = await bfDb.query<{ bf_oid: string; props: unknown }>(
    "SELECT bf_oid, props FROM bfdb WHERE bf_gid = $1",
    [id],
  );
  return rows;
}

/** Org B's hands on org A's node: its exact metadata and props, but B's viewer. */
function forgedCopy(node: BfExampleThing, cv: CurrentViewer): BfExampleThing {
  return new BfExampleThing({ ...node.metadata }, { ...node.props }, cv);
}

dbTest("org B cannot find or findX org A's node", async () => {
  const a = await BfExampleThing.create({ name: "secret" }, orgA);
  assert.equal(await BfExampleThing.find(orgB, a.id), null);
  await assert.rejects(BfExampleThing.findX(orgB, a.id), BfNotFoundError);
  assert.equal((await BfExampleThing.findX(orgA, a.id)).props.name, "secret");
});

dbTest("org B's query never returns org A's nodes", async () => {
  const a = await BfExampleThing.create({ name: "shared name" }, orgA);
  const b = await BfExampleThing.create({ name: "shared name" }, orgB);
  const idsFor = async (cv: CurrentViewer, props?: Record<string, unknown>) =>
    (await BfExampleThing.query(cv, { props })).map((n) => n.id);
  assert.deepEqual(await idsFor(orgA), [a.id]);
  assert.deepEqual(await idsFor(orgB), [b.id]);
  assert.deepEqual(await idsFor(orgB, { name: "shared name" }), [b.id]);
  assert.deepEqual(await idsFor(CurrentViewer.forOrg("org_c")), []);
  assert.deepEqual(await idsFor(CurrentViewer.system()), []);
});

dbTest("org B cannot save org A's node, and nothing changes", async () => {
  const a = await BfExampleThing.create({ name: "original" }, orgA);
  const before = await storedProps(a.id);
  const forged = forgedCopy(a, orgB);
  forged.props.name = "overwritten";
  await assert.rejects(forged.save(), BfNotFoundError);
  assert.deepEqual(await storedProps(a.id), before);
  assert.equal((await BfExampleThing.findX(orgA, a.id)).props.name, "original");
});

dbTest("org B cannot delete org A's node", async () => {
  const a = await BfExampleThing.create({ name: "keep me" }, orgA);
  assert.equal(await forgedCopy(a, orgB).delete(), false);
  assert.equal((await BfExampleThing.findX(orgA, a.id)).props.name, "keep me");
  assert.equal(await a.delete(), true);
});

dbTest("org B cannot link to, or walk edges of, org A's nodes", async () => {
  const a1 = await BfExampleThing.create({ name: "a1" }, orgA);
  const a2 = await BfExampleThing.create({ name: "a2" }, orgA);
  const b1 = await BfExampleThing.create({ name: "b1" }, orgB);
  await BfEdge.link(a1, a2, orgA, "member");

  await assert.rejects(BfEdge.link(b1, a1, orgB), /not in org org_b/);
  await assert.rejects(BfEdge.link(a1, b1, orgA), /not in org org_a/);
  // A forged copy claims B's org in its metadata but the ids are A's: still no edge is visible.
  const forged = forgedCopy(a1, orgB);
  assert.deepEqual(await forged.queryTargets(BfExampleThing), []);
  assert.deepEqual(await forgedCopy(a2, orgB).querySources(BfExampleThing), []);
  assert.deepEqual((await a1.queryTargets(BfExampleThing)).map((n) => n.id), [
    a2.id,
  ]);
  const edges = await bfDb.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM bfdb WHERE class_name = 'BfEdge'",
  );
  assert.equal(edges[0].n, 1);
});

dbTest("deleting in one org leaves the other org's edges alone", async () => {
  const a = await BfExampleThing.create({ name: "a" }, orgA);
  const a2 = await BfExampleThing.create({ name: "a2" }, orgA);
  const edge = await BfEdge.link(a, a2, orgA);
  // Org B deletes a forged copy of `a`: nothing of org A goes, edges included.
  assert.equal(await forgedCopy(a, orgB).delete(), false);
  assert.ok(await BfEdge.find(orgA, edge.id));
  assert.deepEqual((await a.queryTargets(BfExampleThing)).map((n) => n.id), [
    a2.id,
  ]);
});
