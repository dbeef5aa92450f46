/**
 * A canonical JSON form and its SHA-256 digest: the same data gives the same digest whatever
 * order its keys were written in.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * await sha256Hex(canonicalJson({ a: 1 })); // 64 hex characters
 * ```
 *
 * @module
 */

/** JSON text of `value` with object keys sorted at every depth (undefined members dropped). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, 0));
}

/** The SHA-256 of `text` (UTF-8) as 64 lowercase hex characters. */
export async function sha256Hex(text: string): Promise<string> {
  const hash = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(hash),
    (byte) => byte.toString(16).padStart(2, "0"),
  ).join("");
}

function sortKeys(value: unknown, depth: number): unknown {
  if (depth > 200) {
    throw new RangeError("canonicalJson: value nested too deeply");
  }
  if (Array.isArray(value)) {
    return value.map((item) => sortKeys(item, depth + 1));
  }
  if (value === null || typeof value !== "object") return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    return sortKeys(toJSON.call(value), depth + 1);
  }
  // A null prototype keeps a "__proto__" key an ordinary member.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort()) {
    out[key] = sortKeys((value as Record<string, unknown>)[key], depth + 1);
  }
  return out;
}
