/**
 * Type-level checks of `InferProps` and `InferCreateProps`: enums are unions,
 * optional fields are `T | undefined` and may be left out, defaulted fields are
 * required on a node but optional on create. Every `@ts-expect-error` below must
 * be an error, or `deno check` / `deno test` fails; the runtime asserts show the
 * types describe what the spec really does.
 */
import assert from "node:assert/strict";
import type { CurrentViewer } from "../CurrentViewer.ts";
import { validateProps } from "./defineBfNode.ts";
import { BfNode, type InferCreateProps, type InferProps } from "./BfNode.ts";

class BfTypedThing extends BfNode<InferProps<typeof BfTypedThing>> {
  static override bfNodeSpec = this.defineBfNode((node) =>
    node
      .string("name")
      .number("count").default(0)
      .boolean("active")
      .json<"payload", { tags: string[] }>("payload").optional()
      .enum("status", ["queued", "done"])
      .enum("mood", ["calm", "busy"]).default("calm")
      .string("note").optional()
  );
}

type Props = InferProps<typeof BfTypedThing>;
type CreateProps = InferCreateProps<typeof BfTypedThing>;

/** Compile-time equality: `true` only when A and B are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends
  (<T>() => T extends B ? 1 : 2) ? true
  : false;
const assertType = <T extends true>(_: T) => {};

assertType<Equals<Props["status"], "queued" | "done">>(true);
assertType<Equals<Props["mood"], "calm" | "busy">>(true);
assertType<Equals<Props["name"], string>>(true);
assertType<Equals<Props["count"], number>>(true);
assertType<Equals<Props["active"], boolean>>(true);
assertType<Equals<Props["payload"], { tags: string[] } | undefined>>(true);
assertType<Equals<Props["note"], string | undefined>>(true);
assertType<Equals<CreateProps["count"], number | undefined>>(true);
assertType<Equals<CreateProps["mood"], "calm" | "busy" | undefined>>(true);

// A node's props: required and defaulted fields must be there, optional ones may be absent.
const full: Props = {
  name: "n",
  count: 1,
  active: true,
  status: "queued",
  mood: "calm",
};
// @ts-expect-error an enum value outside the list is a type error
const badStatus: Props = { ...full, status: "failed" };
// @ts-expect-error an enum is its union, not any string
const widened: Props["status"] = "sent" as string;
// @ts-expect-error a required field cannot be left out of the props
const missingName: Props = {
  count: 1,
  active: true,
  status: "done",
  mood: "busy",
};
// @ts-expect-error a defaulted field is still present on a stored node
const missingCount: Props = {
  name: "n",
  active: true,
  status: "done",
  mood: "busy",
};
// @ts-expect-error a string field does not take a number
const wrongType: Props = { ...full, name: 1 };
// @ts-expect-error json fields take their declared shape
const wrongJson: Props = { ...full, payload: { tags: [1] } };
// @ts-expect-error unknown fields are not props
const unknownField: Props = { ...full, colour: "red" };
const withOptional: Props = {
  ...full,
  note: undefined,
  payload: { tags: ["a"] },
};

// What create accepts: defaulted and optional fields may be left out, required ones not.
const minimal: CreateProps = { name: "n", active: false, status: "done" };
// @ts-expect-error create still needs every required field
const createMissing: CreateProps = { name: "n", active: false };
// @ts-expect-error create checks enums too
const createBadMood: CreateProps = { ...minimal, mood: "angry" };

// Reading an optional field gives `T | undefined`, so it must be narrowed before use.
function noteLength(props: Props): number {
  // @ts-expect-error note may be undefined
  const unchecked = (): number => props.note.length;
  return props.note === undefined ? 0 : unchecked();
}

// create and query are typed by the class they are called on (compiled, never run).
// deno-lint-ignore no-unused-vars
async function staticMethodTypes(cv: CurrentViewer): Promise<void> {
  const created: BfTypedThing = await BfTypedThing.create(minimal, cv);
  const mood: "calm" | "busy" = created.props.mood;
  // @ts-expect-error create rejects an enum value outside the list
  await BfTypedThing.create({ ...minimal, status: "lost" }, cv);
  // @ts-expect-error create rejects a missing required field
  await BfTypedThing.create({ name: "n" }, cv);
  const found: BfTypedThing | null = await BfTypedThing.find(cv, created.id);
  const many: BfTypedThing[] = await BfTypedThing.query(cv);
  // @ts-expect-error query orders by metadata columns only
  await BfTypedThing.query(cv, { orderBy: "name" });
  void [mood, found, many];
}

// The instance's props are typed by the class.
function statusOf(node: BfTypedThing): "queued" | "done" {
  return node.props.status;
}

Deno.test("the inferred types match what validation accepts and fills in", () => {
  const spec = BfTypedThing.bfNodeSpec;
  const created = validateProps("BfTypedThing", spec, minimal, true);
  assert.deepEqual(created, { ...minimal, count: 0, mood: "calm" });
  const stored: Props = created as Props;
  assert.equal(noteLength(stored), 0);
  assert.equal(noteLength({ ...stored, note: "four" }), 4);
  assert.deepEqual(validateProps("BfTypedThing", spec, withOptional, false), {
    ...full,
    payload: { tags: ["a"] },
  });
  // The props the compiler rejects above are rejected at run time too (json fields are only
  // checked to be JSON at run time, so the mistyped payload passes there).
  for (
    const props of [
      badStatus,
      missingName,
      missingCount,
      wrongType,
      unknownField,
    ]
  ) {
    assert.throws(() => validateProps("BfTypedThing", spec, props, false));
  }
  assert.doesNotThrow(() =>
    validateProps("BfTypedThing", spec, wrongJson, false)
  );
  assert.throws(() =>
    validateProps("BfTypedThing", spec, { ...full, status: widened }, false)
  );
  assert.throws(() => validateProps("BfTypedThing", spec, createMissing, true));
  assert.throws(() => validateProps("BfTypedThing", spec, createBadMood, true));
  const node = new BfTypedThing(
    {
      bfGid: "g",
      bfOid: "o",
      bfCid: "c",
      className: "BfTypedThing",
      sortValue: 0,
      createdAt: new Date(0),
      lastUpdated: new Date(0),
    },
    stored,
    // deno-lint-ignore no-explicit-any
    undefined as any,
  );
  assert.equal(statusOf(node), "done");
});
