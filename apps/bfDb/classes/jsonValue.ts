/**
 * What a json prop may hold, checked before anything is sent: plain objects, arrays, finite
 * numbers, booleans, null and strings PostgreSQL's jsonb can store, nested at most
 * {@linkcode MAX_JSON_DEPTH} deep and at most a given size as JSON text. A problem is reported
 * with the path to the value that broke the rule, such as `payload.a.b[3]`.
 *
 * @module
 */

/** The deepest nesting a json prop may have (PostgreSQL itself refuses much deeper values). */
export const MAX_JSON_DEPTH = 100;

/** The default largest json prop, as UTF-8 JSON text: 16 MiB. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** PostgreSQL's jsonb holds neither NUL characters nor lone UTF-16 surrogates. */
export function isStorableString(value: string): boolean {
  return !value.includes("\u0000") && value.isWellFormed();
}

/**
 * The first reason `value` cannot be stored as a json prop (prefixed with its path under
 * `path`), or null when it can.
 *
 * @example
 * ```ts
 * jsonProblem({ a: [1, NaN] }, "payload"); // "payload.a[1]: NaN is not a JSON number"
 * ```
 */
export function jsonProblem(
  value: unknown,
  path: string,
  maxBytes: number = MAX_JSON_BYTES,
): string | null {
  // Almost every value is fine: a walk that builds no paths says so, and only a value it
  // refuses is walked again for the path and reason.
  if (walk(value, undefined, 0, { left: maxBytes }) === null) return null;
  const problem = walk(value, path, 0, { left: maxBytes });
  if (problem === TOO_LARGE) {
    return `${path}: larger than the limit of ${maxBytes} bytes of JSON`;
  }
  return problem;
}

const TOO_LARGE = "\u0000too large";
/** What a walk without a path says of any value it refuses. */
const REFUSED = "\u0000refused";

/** The problem `what` at `path`; built only for a value refused, never on the way. */
function refusal(path: string | undefined, what: string): string {
  return path === undefined ? REFUSED : `${path}: ${what}`;
}

/**
 * The first problem of `value` at `path`, or null when it may be stored; with no `path`, no
 * path is built and every problem is {@linkcode REFUSED}.
 */
function walk(
  value: unknown,
  path: string | undefined,
  depth: number,
  budget: { left: number },
): string | null {
  if (depth > MAX_JSON_DEPTH) {
    return refusal(path, `nesting deeper than ${MAX_JSON_DEPTH}`);
  }
  if (typeof value === "string") {
    if (!spend(budget, jsonStringBytes(value, budget.left))) return TOO_LARGE;
    return isStorableString(value)
      ? null
      : refusal(path, "a string with a NUL character or a lone surrogate");
  }
  if (value === null || typeof value === "boolean") {
    return spend(budget, 5) ? null : TOO_LARGE;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      return refusal(path, `${value} is not a JSON number`);
    }
    return spend(budget, String(value).length) ? null : TOO_LARGE;
  }
  if (Array.isArray(value)) {
    if (!spend(budget, 2 + value.length)) return TOO_LARGE;
    for (let i = 0; i < value.length; i++) {
      const at = path === undefined ? undefined : `${path}[${i}]`;
      const found = walk(value[i], at, depth + 1, budget);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return refusal(
        path,
        `a ${
          proto?.constructor?.name ?? "non-plain object"
        } is not a plain JSON object`,
      );
    }
    if (!spend(budget, 2)) return TOO_LARGE;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const at = path === undefined ? undefined : `${path}${keyPath(key)}`;
      if (!isStorableString(key)) {
        return refusal(at, "a key with a NUL character or a lone surrogate");
      }
      if (!spend(budget, jsonStringBytes(key, budget.left) + 2)) {
        return TOO_LARGE;
      }
      const found = walk(
        (value as Record<string, unknown>)[key],
        at,
        depth + 1,
        budget,
      );
      if (found) return found;
    }
    return null;
  }
  return refusal(
    path,
    `${
      value === undefined ? "undefined" : `a ${typeof value}`
    } is not a JSON value`,
  );
}

function spend(budget: { left: number }, bytes: number): boolean {
  budget.left -= bytes;
  return budget.left >= 0;
}

/** UTF-8 bytes of `s` as a JSON string (quotes and escapes), or more than `cap` once past it. */
function jsonStringBytes(s: string, cap: number): number {
  if (s.length > cap) return cap + 1;
  let bytes = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) bytes += 2;
    else if (c < 0x20) bytes += 6;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > cap) return bytes;
  }
  return bytes;
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key)
    ? `.${key}`
    : `[${JSON.stringify(key)}]`;
}

/**
 * `value` as JSON text a jsonb column takes, serialized the way `JSON.stringify` does (a Date
 * becomes its ISO string, `toJSON` is honoured), or the reason it cannot be: not serializable
 * (a cycle, a BigInt, a function), or what {@linkcode jsonProblem} finds in the serialized value.
 */
export function storableJson(
  value: unknown,
  path: string,
  maxBytes: number = MAX_JSON_BYTES,
): { json: string } | { problem: string } {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return {
      problem: `${path}: not JSON-serializable (${(error as Error).message})`,
    };
  }
  if (json === undefined) {
    return { problem: `${path}: a ${typeof value} is not JSON-serializable` };
  }
  const problem = jsonProblem(JSON.parse(json), path, maxBytes);
  return problem ? { problem } : { json };
}
