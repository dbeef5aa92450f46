// What a json prop may hold: every rule refuses with the path to the value that broke it, and
// every storable value passes (the quick walk and the one that builds paths agree).
import assert from "node:assert/strict";
import { jsonProblem, MAX_JSON_DEPTH } from "./jsonValue.ts";

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

Deno.test("jsonProblem: storable values pass, up to the depth and size limits", () => {
  for (
    const value of [
      null,
      true,
      0,
      -1.5e300,
      "",
      "snow ☃ and 𝄞",
      [],
      {},
      { a: [1, "x", null, { b: false }] },
      Object.assign(Object.create(null), { k: 1 }),
      nested(MAX_JSON_DEPTH),
    ]
  ) {
    assert.equal(jsonProblem(value, "p"), null, JSON.stringify(value));
  }
  // `"abc"` is 5 bytes of JSON: exactly at the limit passes.
  assert.equal(jsonProblem("abc", "p", 5), null);
});

Deno.test("jsonProblem: each rule refuses with the path to the value", () => {
  const cases: [unknown, string][] = [
    [{ a: [0, NaN] }, "p.a[1]: NaN is not a JSON number"],
    [{ a: Infinity }, "p.a: Infinity is not a JSON number"],
    [
      { s: "a\u0000b" },
      "p.s: a string with a NUL character or a lone surrogate",
    ],
    [["\ud800"], "p[0]: a string with a NUL character or a lone surrogate"],
    [
      { "bad\u0000key": 1 },
      'p["bad\\u0000key"]: a key with a NUL character or a lone surrogate',
    ],
    [{ when: new Date(0) }, "p.when: a Date is not a plain JSON object"],
    [{ u: undefined }, "p.u: undefined is not a JSON value"],
    [[() => 1], "p[0]: a function is not a JSON value"],
    [{ n: 1n }, "p.n: a bigint is not a JSON value"],
    [
      nested(MAX_JSON_DEPTH + 1),
      `p${
        ".a".repeat(MAX_JSON_DEPTH + 1)
      }: nesting deeper than ${MAX_JSON_DEPTH}`,
    ],
  ];
  for (const [value, problem] of cases) {
    assert.equal(jsonProblem(value, "p"), problem);
  }
});

Deno.test("jsonProblem: a value past the size limit is refused as a whole", () => {
  assert.equal(
    jsonProblem("abcd", "p", 5),
    "p: larger than the limit of 5 bytes of JSON",
  );
  assert.equal(
    jsonProblem({ list: ["x".repeat(10)] }, "payload", 12),
    "payload: larger than the limit of 12 bytes of JSON",
  );
});
