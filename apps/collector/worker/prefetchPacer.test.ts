// The prefetch pacer on a fake clock: how far ahead a worker claims for quick, slow and
// stopped streams of jobs.
import assert from "node:assert/strict";
import { PrefetchPacer } from "./prefetchPacer.ts";

function pacerAt(maxPrefetch: number) {
  let ms = 0;
  const pacer = new PrefetchPacer(maxPrefetch, () => ms);
  return {
    pacer,
    /** `count` jobs finish, evenly over `overMs`. */
    finish(count: number, overMs: number) {
      for (let i = 0; i < count; i++) {
        ms += overMs / count;
        pacer.observeFinished();
      }
    },
    advance(byMs: number) {
      ms += byMs;
    },
  };
}

Deno.test("pacer: a fresh worker claims nothing ahead until jobs finish", () => {
  const { pacer } = pacerAt(500);
  assert.equal(pacer.prefetchTarget(), 0);
});

Deno.test("pacer: a backlog of quick jobs reaches full prefetch after one window", () => {
  const { pacer, finish } = pacerAt(500);
  pacer.prefetchTarget();
  finish(200, 25); // 8,000 jobs/s, the first window: taken as measured, not halved
  pacer.observeClaim(0.002);
  const target = pacer.prefetchTarget();
  // 8,000/s over 4 claim round trips of at least 5 ms each.
  assert.equal(target, 160);
  finish(3000, 30);
  assert.equal(pacer.prefetchTarget(), 500, "capped at maxPrefetch");
});

Deno.test("pacer: slow jobs are not claimed ahead beyond one", () => {
  const { pacer, finish } = pacerAt(500);
  for (let second = 0; second < 5; second++) {
    finish(2, 1000); // two jobs a second
    pacer.observeClaim(0.003);
    assert.ok(pacer.prefetchTarget() <= 1);
  }
});

Deno.test("pacer: when jobs stop finishing, the target falls back to nothing", () => {
  const { pacer, finish, advance } = pacerAt(500);
  pacer.prefetchTarget();
  finish(500, 25);
  assert.ok(pacer.prefetchTarget() > 0);
  advance(3000);
  assert.equal(pacer.prefetchTarget(), 0);
});

Deno.test("pacer: long claims lengthen the lead, and maxPrefetch 0 turns prefetch off", () => {
  const quick = pacerAt(10_000);
  const slowDb = pacerAt(10_000);
  for (const { pacer, finish } of [quick, slowDb]) {
    pacer.prefetchTarget();
    finish(100, 25);
  }
  quick.pacer.observeClaim(0.001);
  for (let i = 0; i < 20; i++) slowDb.pacer.observeClaim(0.05);
  assert.ok(slowDb.pacer.prefetchTarget() > quick.pacer.prefetchTarget() * 5);
  const off = pacerAt(0);
  off.pacer.prefetchTarget();
  off.finish(1000, 25);
  assert.equal(off.pacer.prefetchTarget(), 0);
});

Deno.test("pacer: quick jobs' run time lifts the target at once, and is forgotten after a pause", () => {
  let ms = 0;
  const pacer = new PrefetchPacer(1000, () => ms, 10);
  assert.equal(pacer.prefetchTarget(), 0, "nothing known yet");
  // Ten no-op jobs finish within a millisecond of the first claim.
  for (let i = 0; i < 10; i++) {
    ms += 0.1;
    pacer.observeFinished(0.000_1);
  }
  assert.equal(pacer.prefetchTarget(), 1000, "full prefetch after one claim");
  // Then nothing finishes for a moment (slow jobs now): hardly anything is claimed ahead
  // for them (what remains is the measured rate of that moment: 10 jobs in 151 ms).
  ms += 150;
  assert.ok(pacer.prefetchTarget() <= 2);
  // Slow jobs' own run time keeps it there.
  pacer.observeFinished(0.5);
  assert.ok(pacer.prefetchTarget() <= 2);
});

Deno.test("pacer: big payloads bound how many jobs are held ahead, and the bound eases when they shrink", () => {
  const { pacer, finish } = pacerAt(1000);
  pacer.prefetchTarget();
  finish(400, 25); // 16,000 quick jobs a second
  pacer.observeClaim(0.004);
  const uncapped = pacer.prefetchTarget();
  assert.ok(uncapped > 100, `the rate asks for more than 100, got ${uncapped}`);
  const big = { blob: "x".repeat(1024 * 1024) };
  pacer.observeClaimed([big, big]);
  const capped = pacer.prefetchTarget();
  assert.ok(
    capped <= 32 && capped >= 31,
    `32 MiB of 1 MiB payloads, got ${capped}`,
  );
  // Small payloads again: the estimate falls back over later claims, not at once.
  const small = { i: 1 };
  pacer.observeClaimed([small]);
  assert.ok(pacer.prefetchTarget() < 100);
  for (let i = 0; i < 100; i++) pacer.observeClaimed([small]);
  assert.equal(pacer.prefetchTarget(), uncapped);
});
