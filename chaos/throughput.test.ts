import assert from "node:assert/strict";
import { buckets, median, recovery } from "./throughput.ts";

/** `perSecond[i]` events spread over second i from `start`. */
function times(start: number, perSecond: number[]): number[] {
  return perSecond.flatMap((n, i) =>
    Array.from(
      { length: n },
      (_, k) => start + i * 1000 + Math.floor((k * 1000) / n),
    )
  );
}

Deno.test("buckets count per whole second and drop a partial last one", () => {
  assert.deepEqual(buckets([0, 999, 1000, 2500, 3100], 0, 3500), [2, 1, 1]);
  assert.deepEqual(buckets([], 0, 999), []);
});

Deno.test("median of odd, even and empty lists", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), 0);
});

Deno.test("recovery is the first second after the fault at >= 80% of the baseline", () => {
  const t0 = 1_000_000;
  // 5 s at 50/s, fault for 3 s at 0/s, then 10/s, 30/s, 45/s, 50/s.
  const ts = times(t0, [50, 50, 50, 50, 50, 0, 0, 0, 10, 30, 45, 50]);
  const r = recovery(ts, {
    from: t0,
    faultStart: t0 + 5_000,
    faultEnd: t0 + 8_000,
    until: t0 + 12_000,
  });
  assert.equal(r.baseline, 50);
  assert.equal(r.recoverySeconds, 2);
  assert.equal(r.lowest, 0);
  assert.deepEqual(r.series, [0, 0, 0, 10, 30, 45, 50]);
});

Deno.test("no recovery before the producer stopped is null", () => {
  const t0 = 0;
  const ts = times(t0, [50, 50, 0, 5, 5]);
  const r = recovery(ts, {
    from: 0,
    faultStart: 2_000,
    faultEnd: 3_000,
    until: 5_000,
  });
  assert.equal(r.recoverySeconds, null);
});
