/**
 * Hostile strings round-trip unchanged through props (string fields, and keys and
 * values inside json), through query filters, edge roles and org ids, and the
 * table is still there afterwards: every value reaches SQL as a bound parameter.
 */
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { BfExamplePerson, BfExampleThing } from "../testing/ExampleNodes.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfEdge } from "./BfEdge.ts";

const HOSTILE: Record<string, string> = {
  singleQuote: "it's",
  doubleQuote: 'say "hi"',
  bothQuotes: `'"'"`,
  backslashes: "C:\\path\\to\\file \\' \\\\ \\n \\u0041",
  sqlInjection: "'; DROP TABLE bfdb; --",
  sqlInjection2: `"; DELETE FROM bfdb WHERE ''=''; --`,
  commentClose: "*/ /* -- ",
  placeholders: "$1 $2 $$ $tag$ ? :name",
  jsonLike: '{"name": "x"}',
  jsonbOperators: "props->>'name' @> '{}'",
  emoji: "😀👩‍👩‍👧‍👦🏳️‍🌈",
  rtl: "שלום עולם مرحبا",
  combining: "e\u0301 a\u0308 Z\u0351\u0362\u0327",
  fourByte: "𝄞 𠜎 🀄",
  controls: "tab\there\nnewline\r\nbell\u0007 del\u007f",
  bom: "\ufeffbom \u200bzero-width \u2028line-sep",
  empty: "",
  spaces: "   ",
  long: "long 'string' \\ ".repeat(20000),
};

async function tableIsIntact(): Promise<void> {
  const rows = await bfDb.query<{ t: string | null }>(
    "SELECT to_regclass('bfdb')::text AS t",
  );
  assert.equal(rows[0].t, "bfdb");
}

dbTest("hostile strings round-trip unchanged in string fields", async () => {
  const cv = CurrentViewer.forOrg("org_hostile");
  const created = new Map<string, string>();
  for (const [label, value] of Object.entries(HOSTILE)) {
    const node = await BfExampleThing.create({ name: value, note: label }, cv);
    assert.equal(node.props.name, value, label);
    created.set(node.id, value);
  }
  for (const [id, value] of created) {
    const found = await BfExampleThing.findX(cv, id);
    assert.equal(found.props.name, value);
    assert.equal(found.props.name.length, value.length);
  }
  const all = await BfExampleThing.query(cv);
  assert.equal(all.length, Object.keys(HOSTILE).length);
  await tableIsIntact();
});

dbTest(
  "hostile strings round-trip as keys and values inside json",
  async () => {
    const cv = CurrentViewer.forOrg("org_hostile");
    const data = {
      values: Object.values(HOSTILE),
      byKey: Object.fromEntries(Object.values(HOSTILE).map((v, i) => [v, i])),
      nested: {
        [HOSTILE.sqlInjection]: { [HOSTILE.emoji]: [HOSTILE.backslashes] },
      },
    };
    const node = await BfExampleThing.create({ name: "json", data }, cv);
    const found = await BfExampleThing.findX(cv, node.id);
    assert.deepEqual(found.props.data, data);
    await tableIsIntact();
  },
);

dbTest("hostile strings survive save and work as query filters", async () => {
  const cv = CurrentViewer.forOrg("org_hostile");
  const decoy = await BfExampleThing.create({ name: "decoy" }, cv);
  for (const [label, value] of Object.entries(HOSTILE)) {
    const node = await BfExampleThing.create({ name: "before" }, cv);
    node.props.name = value;
    node.props.data = { [value]: value };
    await node.save();
    const matches = await BfExampleThing.query(cv, { props: { name: value } });
    assert.deepEqual(matches.map((n) => n.id), [node.id], label);
    const byJson = await BfExampleThing.query(cv, {
      props: { data: { [value]: value } },
    });
    assert.deepEqual(byJson.map((n) => n.id), [node.id], label);
    await node.delete();
  }
  assert.deepEqual((await BfExampleThing.query(cv)).map((n) => n.id), [
    decoy.id,
  ]);
  await tableIsIntact();
});

dbTest("hostile org and person ids scope like any other", async () => {
  const evil = CurrentViewer.forOrg(HOSTILE.sqlInjection, HOSTILE.bothQuotes);
  const other = CurrentViewer.forOrg("org_plain");
  const node = await BfExampleThing.create({ name: "evil org's" }, evil);
  await BfExampleThing.create({ name: "plain org's" }, other);
  assert.equal(node.metadata.bfOid, HOSTILE.sqlInjection);
  assert.equal(node.metadata.bfCid, HOSTILE.bothQuotes);
  assert.deepEqual(
    (await BfExampleThing.query(evil)).map((n) => n.props.name),
    ["evil org's"],
  );
  assert.equal(await BfExampleThing.find(other, node.id), null);
  assert.equal(await BfExampleThing.find(evil, HOSTILE.sqlInjection), null);
  await tableIsIntact();
});

dbTest("hostile edge roles and ids are matched exactly", async () => {
  const cv = CurrentViewer.forOrg("org_hostile");
  const person = await BfExamplePerson.create({ name: HOSTILE.rtl }, cv);
  const thing = await BfExampleThing.create({ name: HOSTILE.emoji }, cv);
  await BfEdge.link(person, thing, cv, HOSTILE.sqlInjection);
  const targets = await person.queryTargets(
    BfExampleThing,
    HOSTILE.sqlInjection,
  );
  assert.deepEqual(targets.map((n) => n.props.name), [HOSTILE.emoji]);
  assert.deepEqual(await person.queryTargets(BfExampleThing, "' OR ''='"), []);
  assert.equal(await BfExampleThing.find(cv, "' OR '1'='1"), null);
  await tableIsIntact();
});
