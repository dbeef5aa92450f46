import assert from "node:assert/strict";
import { canonicalJson, sha256Hex } from "./canonicalJson.ts";

Deno.test("canonicalJson sorts keys at every depth and keeps array order", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }),
    '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
});

Deno.test("canonicalJson keeps a __proto__ key as data", () => {
  const parsed = JSON.parse('{"__proto__":{"admin":true},"a":1}');
  assert.equal(canonicalJson(parsed), '{"__proto__":{"admin":true},"a":1}');
});

Deno.test("canonicalJson drops undefined members like JSON.stringify", () => {
  assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  assert.equal(canonicalJson("x"), '"x"');
  assert.equal(canonicalJson(null), "null");
});

Deno.test("sha256Hex matches the known digest of the empty string and 'abc'", async () => {
  assert.equal(
    await sha256Hex(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
