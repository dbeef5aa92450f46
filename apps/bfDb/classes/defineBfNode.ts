import { BfValidationError } from "../errors.ts";
import { isStorableString, jsonProblem } from "./jsonValue.ts";

/** The kinds of field a node spec knows. */
export type FieldKind = "string" | "number" | "boolean" | "json" | "enum";

/** A JSON value, as stored in `props`. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** One field of a node spec, at run time. */
export interface FieldSpec {
  kind: FieldKind;
  values?: readonly string[];
  optional: boolean;
  hasDefault: boolean;
  defaultValue?: unknown;
  /** For json fields: the largest value as UTF-8 JSON text (default `MAX_JSON_BYTES`). */
  maxBytes?: number;
}

/** One field of a node spec, at type level. */
export interface FieldType<
  T,
  Optional extends boolean,
  Defaulted extends boolean,
> {
  type: T;
  optional: Optional;
  defaulted: Defaulted;
}

// deno-lint-ignore no-explicit-any
type AnyField = FieldType<any, boolean, boolean>;
type FieldMap = Record<string, AnyField>;

/** The run-time and type-level description of a node class's props. */
export class BfNodeSpec<F extends FieldMap = FieldMap> {
  declare readonly __fields: F;
  constructor(readonly fields: Readonly<Record<string, FieldSpec>>) {}
}

type Simplify<T> = { [K in keyof T]: T[K] } & unknown;

type RequiredKeys<F extends FieldMap> = {
  [K in keyof F]: F[K]["optional"] extends true ? never : K;
}[keyof F];
type OptionalKeys<F extends FieldMap> = Exclude<keyof F, RequiredKeys<F>>;

/** The props type of a field map: optional fields as `T | undefined`. */
export type PropsOf<F extends FieldMap> = Simplify<
  & { [K in RequiredKeys<F>]: F[K]["type"] }
  & { [K in OptionalKeys<F>]?: F[K]["type"] | undefined }
>;

type CreateRequiredKeys<F extends FieldMap> = {
  [K in keyof F]: F[K]["optional"] extends true ? never
    : F[K]["defaulted"] extends true ? never
    : K;
}[keyof F];

/** What `create` accepts: fields with a default or marked optional may be left out. */
export type CreatePropsOf<F extends FieldMap> = Simplify<
  & { [K in CreateRequiredKeys<F>]: F[K]["type"] }
  & {
    [K in Exclude<keyof F, CreateRequiredKeys<F>>]?: F[K]["type"] | undefined;
  }
>;

/** The props type of a node class (`InferProps<typeof BfJob>`). */
export type InferProps<C> = C extends { bfNodeSpec: BfNodeSpec<infer F> }
  ? PropsOf<F>
  : never;

/** The create-input type of a node class. */
export type InferCreateProps<C> = C extends { bfNodeSpec: BfNodeSpec<infer F> }
  ? CreatePropsOf<F>
  : never;

type SetLast<
  F extends FieldMap,
  L extends keyof F,
  Patch extends Partial<AnyField>,
> =
  & Omit<F, L>
  & { [K in L]: Omit<F[K], keyof Patch> & Patch };

/** Fluent builder behind `defineBfNode`; modifiers apply to the field declared last. */
export class FieldBuilder<
  F extends FieldMap = Record<never, never>,
  L extends string = never,
> {
  constructor(
    private readonly fields: Record<string, FieldSpec> = {},
    private readonly last?: string,
  ) {}

  #add<N extends string, T>(name: N, spec: FieldSpec) {
    if (name in this.fields) {
      throw new Error(`field ${JSON.stringify(name)} declared twice`);
    }
    return new FieldBuilder<F & { [K in N]: FieldType<T, false, false> }, N>(
      { ...this.fields, [name]: spec },
      name,
    );
  }

  /** A string field. */
  string<N extends string>(name: N) {
    return this.#add<N, string>(name, {
      kind: "string",
      optional: false,
      hasDefault: false,
    });
  }

  /** A finite number field. */
  number<N extends string>(name: N) {
    return this.#add<N, number>(name, {
      kind: "number",
      optional: false,
      hasDefault: false,
    });
  }

  /** A boolean field. */
  boolean<N extends string>(name: N) {
    return this.#add<N, boolean>(name, {
      kind: "boolean",
      optional: false,
      hasDefault: false,
    });
  }

  /** Any JSON value, at most `options.maxBytes` as UTF-8 JSON text (default 16 MiB). */
  json<N extends string, T extends JsonValue = JsonValue>(
    name: N,
    options: { maxBytes?: number } = {},
  ) {
    return this.#add<N, T>(name, {
      kind: "json",
      optional: false,
      hasDefault: false,
      maxBytes: options.maxBytes,
    });
  }

  /** A string restricted to `values`; typed as their union. */
  enum<N extends string, const V extends readonly string[]>(
    name: N,
    values: V,
  ) {
    return this.#add<N, V[number]>(name, {
      kind: "enum",
      values: [...values],
      optional: false,
      hasDefault: false,
    });
  }

  /** Marks the last field as optional: it may be absent. */
  optional(): FieldBuilder<SetLast<F, L, { optional: true }>, L> {
    return this.#modifyLast({ optional: true }) as never;
  }

  /** Gives the last field a default, applied on create when it is left out. */
  default(
    value: F[L]["type"],
  ): FieldBuilder<SetLast<F, L, { defaulted: true }>, L> {
    return this.#modifyLast({ hasDefault: true, defaultValue: value }) as never;
  }

  #modifyLast(patch: Partial<FieldSpec>) {
    if (!this.last) throw new Error("a modifier needs a field before it");
    return new FieldBuilder(
      { ...this.fields, [this.last]: { ...this.fields[this.last], ...patch } },
      this.last,
    );
  }

  /** The finished spec. */
  build(): BfNodeSpec<F> {
    return new BfNodeSpec<F>(this.fields);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && !Number.isFinite(value)) {
    return String(value);
  }
  return typeof value;
}

/**
 * Checks `props` against `spec` for class `className`, filling defaults when `applyDefaults`.
 * Returns a new object; throws BfValidationError naming the class and field.
 */
export function validateProps(
  className: string,
  spec: BfNodeSpec,
  props: Record<string, unknown>,
  applyDefaults: boolean,
): Record<string, unknown> {
  if (props === null || typeof props !== "object" || Array.isArray(props)) {
    throw new BfValidationError(
      className,
      "(props)",
      `expected an object, got ${describe(props)}`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(props)) {
    if (!Object.hasOwn(spec.fields, key)) {
      throw new BfValidationError(
        className,
        key,
        "is not a field of this class",
      );
    }
  }
  for (const [name, field] of fieldsOf(spec)) {
    let value = props[name];
    if (value === undefined && applyDefaults && field.hasDefault) {
      value = copyOfDefault(field.defaultValue);
    }
    if (value === undefined) {
      if (field.optional) continue;
      throw new BfValidationError(className, name, "is required");
    }
    checkField(className, name, field, value);
    out[name] = value;
  }
  return out;
}

const fieldLists = new WeakMap<BfNodeSpec, [string, FieldSpec][]>();

/** A spec's fields as a list, made once per spec: a batch create validates them per input. */
function fieldsOf(spec: BfNodeSpec): [string, FieldSpec][] {
  let list = fieldLists.get(spec);
  if (!list) {
    list = Object.entries(spec.fields);
    fieldLists.set(spec, list);
  }
  return list;
}

/** Each node gets its own copy of an object default; primitives and `[]` need no cloning. */
function copyOfDefault(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value) && value.length === 0) return [];
  return structuredClone(value);
}

function refuse(
  className: string,
  name: string,
  expected: string,
  value: unknown,
): never {
  throw new BfValidationError(
    className,
    name,
    `expected ${expected}, got ${describe(value)}`,
  );
}

function checkField(
  className: string,
  name: string,
  field: FieldSpec,
  value: unknown,
) {
  switch (field.kind) {
    case "string":
      if (typeof value !== "string") {
        refuse(className, name, "a string", value);
      }
      if (!isStorableString(value as string)) {
        refuse(
          className,
          name,
          "a string without NUL characters or lone surrogates",
          value,
        );
      }
      break;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        refuse(className, name, "a finite number", value);
      }
      break;
    case "boolean":
      if (typeof value !== "boolean") {
        refuse(className, name, "a boolean", value);
      }
      break;
    case "json": {
      const problem = jsonProblem(value, name, field.maxBytes);
      if (problem) {
        throw new BfValidationError(
          className,
          name,
          `expected a JSON value (plain objects, arrays, finite numbers, NUL-free strings): ${problem}`,
        );
      }
      break;
    }
    case "enum":
      if (typeof value !== "string" || !field.values!.includes(value)) {
        throw new BfValidationError(
          className,
          name,
          `expected one of ${
            field.values!.map((v) => JSON.stringify(v)).join(", ")
          }, got ${
            typeof value === "string" ? JSON.stringify(value) : describe(value)
          }`,
        );
      }
      break;
  }
}
