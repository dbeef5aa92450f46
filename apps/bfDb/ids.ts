let lastMs = 0;
let sequence = 0;

/** Which part of bfdb an id is minted for. */
export type GidKind = "node" | "job";

/**
 * A new global id: a UUIDv7, so ids sort by creation time and keep B-tree inserts local. Ids
 * made in one process also sort in the order they were made, even within one millisecond (a
 * 12-bit counter in the rand_a field, as RFC 9562 allows), so jobs created together are claimed
 * first-in, first-out.
 *
 * The first random bit says what the id is for (0 a node or edge, 1 a job: variant digit 8-9
 * or a-b), and that is what keeps `bf_gid` unique across bfdb's parts, which no one index spans:
 * a minted id carries the millisecond it was minted in, so it cannot equal an id minted in
 * another millisecond; within one, a node's and a job's differ in that bit; and two ids of one
 * kind share a table whose primary key refuses a repeat. Ids derived from a key (`gidFromKey`,
 * version 8) never equal a minted one (version 7), and the job keys table holds each once.
 */
export function generateGid(
  now: number = Date.now(),
  kind: GidKind = "node",
): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = Math.floor(Math.random() * 0x800);
  } else if (++sequence > 0xfff) {
    lastMs++;
    sequence = 0;
  }
  const bytes = new Uint8Array(16);
  bytes.set(randomBytes(8), 8);
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = (bytes[8] & 0x1f) | (kind === "job" ? 0xa0 : 0x80);
  return formatUuid(bytes);
}

/** The kind an id minted by `generateGid` was minted for, or null for any other id. */
export function gidKindOf(id: string): GidKind | null {
  if (id.length !== 36 || id[14] !== "7") return null;
  const variant = id[19];
  if (variant === "8" || variant === "9") return "node";
  if (variant === "a" || variant === "b") return "job";
  return null;
}

const randomPool = new Uint8Array(4096);
let poolOffset = randomPool.length;

/**
 * `count` cryptographically random bytes, cut from a pool refilled 4 KB at a time: one
 * getRandomValues call per id was a visible share of a 1,000-job createMany.
 */
function randomBytes(count: number): Uint8Array {
  if (poolOffset + count > randomPool.length) {
    crypto.getRandomValues(randomPool);
    poolOffset = 0;
  }
  const bytes = randomPool.subarray(poolOffset, poolOffset + count);
  poolOffset += count;
  return bytes;
}

const HEX = Array.from(
  { length: 256 },
  (_, b) => b.toString(16).padStart(2, "0"),
);

function formatUuid(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += "-";
    out += HEX[bytes[i]];
  }
  return out;
}

/** A stable UUID (version 8, name-based on SHA-256) for `key`: the same key always gives the same id. */
export async function gidFromKey(key: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)),
  );
  const bytes = digest.slice(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return formatUuid(bytes);
}
