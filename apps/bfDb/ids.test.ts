// Ids: UUIDv7 shape, uniqueness, and creation order within one process.
import assert from "node:assert/strict";
import { generateGid, gidFromKey } from "./ids.ts";

const UUID_V7 =
  /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("generateGid: UUIDv7 strings, unique, sorted in creation order within a burst", () => {
  const ids = Array.from({ length: 10_000 }, () => generateGid());
  for (const id of ids) assert.match(id, UUID_V7);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
});

Deno.test("generateGid: the leading 48 bits are the creation time in milliseconds", () => {
  const before = Date.now();
  const id = generateGid();
  const after = Date.now();
  const ms = parseInt(id.replaceAll("-", "").slice(0, 12), 16);
  // A burst of more than 4,096 ids in one millisecond borrows from the next ones.
  assert.ok(
    ms >= before && ms <= after + 50,
    `${ms} not in [${before}, ${after}]`,
  );
});

Deno.test("gidFromKey: the same key gives the same id, a different key another", async () => {
  const a = await gidFromKey("hourly:2030-01-01T00");
  assert.equal(await gidFromKey("hourly:2030-01-01T00"), a);
  assert.notEqual(await gidFromKey("hourly:2030-01-01T01"), a);
  assert.match(
    a,
    /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
});
