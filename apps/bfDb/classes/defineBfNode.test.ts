/**
 * The props spec on its own, without a database: the builder, defaults, and
 * every validation error (each names the class and the field).
 */
import assert from "node:assert/strict";
import { BfValidationError } from "../errors.ts";
import { BfNode, type InferProps } from "./BfNode.ts";
import { FieldBuilder, validateProps } from "./defineBfNode.ts";

class BfSpecThing extends BfNode<InferProps<typeof BfSpecThing>> {
  static override bfNodeSpec = this.defineBfNode((node) =>
    node
      .string("title")
      .number("size")
      .boolean("done")
      .json("blob")
      .enum("level", ["low", "high"])
      .string("nickname").optional()
      .number("weight").default(1.5)
      .json("tags").default(["a", { b: 1 }])
      .enum("mood", ["calm", "busy"]).default("calm")
      .boolean("flag").optional().default(false)
  );
}

const spec = BfSpecThing.bfNodeSpec;

const valid = () => ({
  title: "t",
  size: 3,
  done: false,
  blob: { any: ["json", 1, null, true] },
  level: "low",
});

const create = (props: Record<string, unknown>) =>
  validateProps("BfSpecThing", spec, props, true);
const save = (props: Record<string, unknown>) =>
  validateProps("BfSpecThing", spec, props, false);

/** Asserts `fn` throws a BfValidationError for `field` of BfSpecThing, mentioning `problem`. */
function assertInvalid(fn: () => unknown, field: string, problem?: RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(
      error instanceof BfValidationError,
      `not a BfValidationError: ${error}`,
    );
    assert.equal(error.className, "BfSpecThing");
    assert.equal(error.field, field);
    assert.ok(
      error.message.startsWith(`BfSpecThing.${field}: `),
      `message does not name class and field: ${error.message}`,
    );
    if (problem) assert.match(error.message, problem);
    return true;
  });
}

Deno.test("builder records each field's kind and modifiers", () => {
  const f = spec.fields;
  assert.deepEqual(Object.keys(f), [
    "title",
    "size",
    "done",
    "blob",
    "level",
    "nickname",
    "weight",
    "tags",
    "mood",
    "flag",
  ]);
  assert.deepEqual(
    {
      kind: f.title.kind,
      optional: f.title.optional,
      hasDefault: f.title.hasDefault,
    },
    { kind: "string", optional: false, hasDefault: false },
  );
  assert.equal(f.size.kind, "number");
  assert.equal(f.done.kind, "boolean");
  assert.equal(f.blob.kind, "json");
  assert.equal(f.level.kind, "enum");
  assert.deepEqual(f.level.values, ["low", "high"]);
  assert.equal(f.nickname.optional, true);
  assert.deepEqual(
    { hasDefault: f.weight.hasDefault, defaultValue: f.weight.defaultValue },
    { hasDefault: true, defaultValue: 1.5 },
  );
  assert.deepEqual(
    { optional: f.flag.optional, hasDefault: f.flag.hasDefault },
    { optional: true, hasDefault: true },
  );
});

Deno.test("builder rejects a field declared twice and a modifier without a field", () => {
  assert.throws(
    () => new FieldBuilder().string("a").number("a"),
    /declared twice/,
  );
  assert.throws(() => new FieldBuilder().optional(), /needs a field/);
});

Deno.test("create fills defaults and leaves optional fields out", () => {
  assert.deepEqual(create(valid()), {
    ...valid(),
    weight: 1.5,
    tags: ["a", { b: 1 }],
    mood: "calm",
    flag: false,
  });
});

Deno.test("explicit values win over defaults, optional fields are kept", () => {
  const props = {
    ...valid(),
    nickname: "nick",
    weight: -0.25,
    tags: [],
    mood: "busy",
    flag: true,
  };
  assert.deepEqual(create(props), props);
});

Deno.test("an optional field set to undefined is left out", () => {
  const out = create({ ...valid(), nickname: undefined });
  assert.equal("nickname" in out, false);
});

Deno.test("defaults are copies: mutating one node's default does not leak", () => {
  const first = create(valid());
  (first.tags as unknown[]).push("mutated");
  assert.deepEqual(create(valid()).tags, ["a", { b: 1 }]);
  assert.deepEqual(spec.fields.tags.defaultValue, ["a", { b: 1 }]);
});

Deno.test("validation returns a new object and does not touch the input", () => {
  const input = valid();
  const out = create(input);
  assert.notEqual(out, input);
  assert.deepEqual(input, valid());
});

Deno.test("save does not apply defaults: a defaulted field left out is missing", () => {
  assertInvalid(() => save(valid()), "weight", /is required/);
});

Deno.test("missing required fields are named", () => {
  for (const field of ["title", "size", "done", "blob", "level"]) {
    const props: Record<string, unknown> = valid();
    delete props[field];
    assertInvalid(() => create(props), field, /is required/);
  }
});

Deno.test("json field given null is a value, not missing", () => {
  assert.equal(create({ ...valid(), blob: null }).blob, null);
});

Deno.test("wrong types are named with what was expected and what was given", () => {
  const cases: [string, unknown, RegExp][] = [
    ["title", 42, /expected a string, got number/],
    ["title", null, /expected a string, got null/],
    ["title", ["a"], /expected a string, got array/],
    ["size", "3", /expected a finite number, got string/],
    ["size", true, /expected a finite number, got boolean/],
    ["size", 10n, /expected a finite number, got bigint/],
    ["done", "true", /expected a boolean, got string/],
    ["done", 1, /expected a boolean, got number/],
    ["level", 1, /expected one of "low", "high", got number/],
    ["nickname", 7, /expected a string, got number/],
    ["weight", "heavy", /expected a finite number/],
    ["mood", true, /expected one of "calm", "busy"/],
  ];
  for (const [field, value, problem] of cases) {
    assertInvalid(() => create({ ...valid(), [field]: value }), field, problem);
  }
});

Deno.test("enum values outside the list are rejected, case-sensitively", () => {
  for (const value of ["medium", "LOW", "", " low"]) {
    assertInvalid(
      () => create({ ...valid(), level: value }),
      "level",
      new RegExp(`got ${JSON.stringify(JSON.stringify(value)).slice(1, -1)}`),
    );
  }
  assertInvalid(() => create({ ...valid(), mood: "angry" }), "mood", /"angry"/);
});

Deno.test("NaN and Infinity are not numbers a node can store", () => {
  for (const value of [NaN, Infinity, -Infinity]) {
    assertInvalid(
      () => create({ ...valid(), size: value }),
      "size",
      new RegExp(`got ${String(value)}`),
    );
    assertInvalid(() => create({ ...valid(), blob: { n: value } }), "blob");
    assertInvalid(() => create({ ...valid(), blob: [1, value] }), "blob");
  }
});

Deno.test("json fields reject values JSON cannot carry unchanged", () => {
  class NotPlain {
    x = 1;
  }
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const cases: [string, unknown][] = [
    ["Date", new Date(0)],
    ["nested Date", { at: new Date(0) }],
    ["function", () => 1],
    ["nested function", { f() {} }],
    ["undefined inside an object", { a: undefined }],
    ["undefined inside an array", [undefined]],
    ["bigint", { n: 1n }],
    ["symbol", Symbol("s")],
    ["Map", new Map([["a", 1]])],
    ["Set", new Set([1])],
    ["class instance", new NotPlain()],
    ["typed array", new Uint8Array([1])],
    ["RegExp", /x/],
    ["NUL in a string", "a\u0000b"],
    ["NUL in a nested string", { deep: ["a\u0000"] }],
    ["NUL in a key", { "a\u0000b": 1 }],
    ["lone surrogate", "\ud800"],
    ["lone surrogate in a key", { "\udc00": 1 }],
    ["circular", circular],
  ];
  for (const [what, value] of cases) {
    assert.throws(
      () => create({ ...valid(), blob: value }),
      (error: unknown) =>
        error instanceof BfValidationError && error.field === "blob" &&
        error.message.startsWith("BfSpecThing.blob: "),
      `accepted ${what}`,
    );
  }
});

Deno.test("json fields accept plain JSON, including null-prototype objects", () => {
  const bare = Object.assign(Object.create(null), { a: 1 });
  const deep = { a: [{ b: [{ c: [true, false, null, 0, -1.5e300, ""] }] }] };
  assert.deepEqual(create({ ...valid(), blob: deep }).blob, deep);
  assert.equal(create({ ...valid(), blob: bare }).blob, bare);
  assert.equal(
    create({ ...valid(), blob: "just a string" }).blob,
    "just a string",
  );
  assert.equal(create({ ...valid(), blob: 0 }).blob, 0);
});

Deno.test("string fields reject NUL characters and lone surrogates", () => {
  assertInvalid(
    () => create({ ...valid(), title: "a\u0000b" }),
    "title",
    /NUL/,
  );
  assertInvalid(() => create({ ...valid(), title: "\ud83d" }), "title");
  assertInvalid(() => create({ ...valid(), nickname: "x\udc00y" }), "nickname");
  // A well-formed surrogate pair (a 4-byte character) is fine.
  assert.equal(create({ ...valid(), title: "\ud83d\ude00" }).title, "😀");
});

Deno.test("unknown fields are rejected, including Object.prototype names", () => {
  for (
    const key of ["color", "Title", "constructor", "toString", "hasOwnProperty"]
  ) {
    assertInvalid(
      () => create({ ...valid(), [key]: "x" }),
      key,
      /is not a field/,
    );
  }
  const withProto = JSON.parse(`{"__proto__": {"title": "x"}}`);
  assertInvalid(
    () => create({ ...valid(), ...withProto }),
    "__proto__",
    /is not a field/,
  );
});

Deno.test("props that are not an object are rejected", () => {
  for (const props of [null, undefined, [], "x", 1]) {
    assertInvalid(
      () => create(props as unknown as Record<string, unknown>),
      "(props)",
      /expected an object/,
    );
  }
});
