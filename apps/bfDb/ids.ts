let lastMs = 0;
let sequence = 0;

/**
 * A new global id: a UUIDv7, so ids sort by creation time and keep B-tree inserts local. Ids
 * made in one process also sort in the order they were made, even within one millisecond (a
 * 12-bit counter in the rand_a field, as RFC 9562 allows), so jobs created together are claimed
 * first-in, first-out.
 */
export function generateGid(now: number = Date.now()): string {
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
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return formatUuid(bytes);
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
