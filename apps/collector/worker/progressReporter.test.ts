// The progress throttle: at most one write per interval, the latest value winning, the last
// one written at close; bad values are refused before anything is written.
import assert from "node:assert/strict";
import { ProgressReporter } from "./progressReporter.ts";

Deno.test("progress: a burst becomes one write now and one with the latest value later", async () => {
  const written: string[] = [];
  const reporter = new ProgressReporter((json) => {
    written.push(json);
    return Promise.resolve();
  }, 200);
  await reporter.report(0);
  assert.deepEqual(written, ["0"]);
  const burst = Array.from({ length: 20 }, (_, i) => reporter.report(i + 1));
  assert.deepEqual(written, ["0"], "throttled: nothing more yet");
  await Promise.all(burst);
  assert.deepEqual(
    written,
    ["0", "20"],
    "every caller waited for the write carrying the latest",
  );
  await reporter.close();
  assert.deepEqual(written, ["0", "20"], "nothing left to write");
});

Deno.test("progress: close writes the value still waiting, then ignores later reports", async () => {
  const written: string[] = [];
  const reporter = new ProgressReporter((json) => {
    written.push(json);
    return Promise.resolve();
  }, 60_000);
  await reporter.report({ step: 1 });
  const waiting = reporter.report({ step: 2 });
  await reporter.close();
  await waiting;
  assert.deepEqual(written, ['{"step":1}', '{"step":2}']);
  await reporter.report({ step: 3 });
  assert.equal(written.length, 2);
});

Deno.test("progress: a failed write loses that value, not the job; bad values are TypeErrors", async () => {
  let calls = 0;
  const reporter = new ProgressReporter(() => {
    calls++;
    return Promise.reject(new Error("database down"));
  }, 0);
  await reporter.report(1);
  assert.equal(calls, 1);
  await assert.rejects(reporter.report("x".repeat(4_100)), TypeError);
  await assert.rejects(
    reporter.report(() => 1),
    /progress: a function is not JSON-serializable/,
  );
  await assert.rejects(
    reporter.report({ s: "\u0000" }),
    /progress.s: a string with a NUL/,
  );
  await reporter.close();
  assert.equal(calls, 1);
});
