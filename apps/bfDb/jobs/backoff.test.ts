import assert from "node:assert/strict";
import {
  type BackoffPolicy,
  DEFAULT_BACKOFF,
  retryDelayMs,
} from "./backoff.ts";

const low = () => 0;
const high = () => 1;

Deno.test("backoff: doubles per attempt from the base (bounds at no and full jitter)", () => {
  const policy: BackoffPolicy = { baseMs: 1_000, maxMs: 1_000_000_000 };
  for (let attempt = 1; attempt <= 10; attempt++) {
    const ceiling = 1_000 * 2 ** (attempt - 1);
    assert.equal(
      retryDelayMs(attempt, policy, high),
      ceiling,
      `attempt ${attempt}`,
    );
    assert.equal(
      retryDelayMs(attempt, policy, low),
      ceiling / 2,
      `attempt ${attempt}`,
    );
  }
});

Deno.test("backoff: capped at maxMs, however many attempts", () => {
  const policy: BackoffPolicy = { baseMs: 100, maxMs: 5_000 };
  assert.equal(retryDelayMs(6, policy, high), 3_200);
  for (const attempt of [7, 8, 20, 41, 1_000, Number.MAX_SAFE_INTEGER]) {
    assert.equal(
      retryDelayMs(attempt, policy, high),
      5_000,
      `attempt ${attempt}`,
    );
    assert.equal(
      retryDelayMs(attempt, policy, low),
      2_500,
      `attempt ${attempt}`,
    );
  }
  // The default policy: one second doubling, capped at one hour.
  assert.equal(retryDelayMs(1, DEFAULT_BACKOFF, high), 1_000);
  assert.equal(retryDelayMs(12, DEFAULT_BACKOFF, high), 2_048_000);
  assert.equal(retryDelayMs(13, DEFAULT_BACKOFF, high), 3_600_000);
  assert.ok(Number.isFinite(retryDelayMs(10_000)));
});

Deno.test("backoff: attempts below 1 (or not a number) behave like the first", () => {
  for (const attempt of [0, -1, -100, Number.NaN, Number.NEGATIVE_INFINITY]) {
    assert.equal(retryDelayMs(attempt, DEFAULT_BACKOFF, high), 1_000);
    assert.equal(retryDelayMs(attempt, DEFAULT_BACKOFF, low), 500);
  }
});

Deno.test("backoff: jitter stays within [ceiling/2, ceiling] and spreads", () => {
  for (let attempt = 1; attempt <= 14; attempt++) {
    const ceiling = Math.min(
      DEFAULT_BACKOFF.maxMs,
      DEFAULT_BACKOFF.baseMs * 2 ** (attempt - 1),
    );
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const delay = retryDelayMs(attempt);
      assert.ok(Number.isInteger(delay), `integer ms, got ${delay}`);
      assert.ok(
        delay >= ceiling / 2 && delay <= ceiling,
        `attempt ${attempt}: ${delay}`,
      );
      seen.add(delay);
    }
    assert.ok(seen.size > 10, `attempt ${attempt}: jitter spreads retries`);
  }
});

Deno.test("backoff: the jitter is linear in the random draw", () => {
  const policy: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };
  assert.equal(retryDelayMs(3, policy, () => 0.5), 3_000);
  assert.equal(retryDelayMs(3, policy, () => 0.25), 2_500);
  assert.equal(retryDelayMs(7, policy, () => 0.5), 45_000);
});
