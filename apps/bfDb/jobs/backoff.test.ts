import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { DEFAULT_BACKOFF, retryDelaySql } from "./backoff.ts";

async function delay(
  attempt: number | null,
  base: number,
  max: number,
  jitter: number,
): Promise<number> {
  const [row] = await bfDb.query<{ ms: string }>(
    "SELECT bfdb_job_retry_delay_ms($1::int, $2, $3, $4) AS ms",
    [attempt, base, max, jitter],
  );
  return Number(row.ms);
}

dbTest(
  "backoff: doubles per attempt from the base, half of it jitter",
  async () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = 1_000 * 2 ** (attempt - 1);
      assert.equal(
        await delay(attempt, 1_000, 1e12, 1),
        ceiling,
        `attempt ${attempt}`,
      );
      assert.equal(
        await delay(attempt, 1_000, 1e12, 0),
        ceiling / 2,
        `attempt ${attempt}`,
      );
    }
  },
);

dbTest(
  "backoff: capped at the maximum however many attempts; odd attempts count as the first",
  async () => {
    assert.equal(await delay(6, 100, 5_000, 1), 3_200);
    for (const attempt of [7, 8, 20, 41, 1_000, 2_000_000_000]) {
      assert.equal(
        await delay(attempt, 100, 5_000, 1),
        5_000,
        `attempt ${attempt}`,
      );
      assert.equal(
        await delay(attempt, 100, 5_000, 0),
        2_500,
        `attempt ${attempt}`,
      );
    }
    for (const attempt of [0, -5, null]) {
      assert.equal(
        await delay(attempt, 1_000, 5_000, 1),
        1_000,
        `attempt ${attempt}`,
      );
    }
  },
);

dbTest(
  "backoff: the default policy's jitter spreads a burst of retries",
  async () => {
    const rows = await bfDb.query<{ ms: string }>(
      `SELECT ${retryDelaySql("3")} AS ms FROM generate_series(1, 200)`,
    );
    const values = rows.map((r) => Number(r.ms));
    const ceiling = DEFAULT_BACKOFF.baseMs * 4;
    assert.ok(
      values.every((v) => v >= ceiling / 2 && v <= ceiling),
      String(values),
    );
    assert.ok(
      new Set(values).size > 50,
      "retries land at many different instants",
    );
  },
);

Deno.test("backoff: a bad policy is refused before any SQL is built", () => {
  assert.throws(
    () => retryDelaySql("1", { baseMs: 10, maxMs: 5 }),
    /bad policy/,
  );
});
