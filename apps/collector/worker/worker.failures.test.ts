// How the worker settles jobs that do not complete: schema failures and permanent errors are
// dead-lettered at once; other errors retry with backoff until maxAttempts; timeouts abort the
// handler's signal and count as failed attempts.
import assert from "node:assert/strict";
import { z } from "zod";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { JobAbort } from "./abortReasons.ts";
import { defineHandler, PermanentJobError } from "./handler.ts";
import { type JobRow, makeRunnableNow } from "../../bfDb/testing/jobRows.ts";
import { startTestWorker } from "../testing/testWorker.ts";
import { aborted, Gate } from "../../bfDb/testing/waitFor.ts";

const cv = CurrentViewer.forOrg("org_worker_failures", "person_producer");

/** Milliseconds between a failed attempt (as the database recorded it) and the retry's runAt. */
function backoffOf(row: JobRow, attempt: number): number {
  const entry = row.errors?.find((e) => e.attempt === attempt) as
    | { at: string }
    | undefined;
  assert.ok(entry, `no error recorded for attempt ${attempt}`);
  return Date.parse(row.runAt!) - Date.parse(entry.at);
}

dbTest(
  "a payload that fails its schema fails the job at once, with the reason",
  async () => {
    let calls = 0;
    const strict = defineHandler({
      type: "strict",
      schema: z.object({ n: z.number() }),
      process() {
        calls++;
      },
    });
    await using w = await startTestWorker({ handlers: [strict] });
    const job = await BfJob.create({ type: "strict", payload: { n: "x" } }, cv);
    const row = await w.waitForStatus(job.id, "failed");
    assert.equal(row.attempts, 1);
    assert.equal(row.maxAttempts, 3);
    assert.match(row.error!, /^invalid payload for strict: n: /);
    assert.equal(calls, 0);
    await w.waitForLogs("job failed for good");
    assert.equal(w.worker.metrics.failed.get("strict"), 1);
  },
);

dbTest(
  "a PermanentJobError fails the job at once, with its message",
  async () => {
    let calls = 0;
    const doomed = defineHandler({
      type: "doomed",
      schema: z.object({}),
      process() {
        calls++;
        throw new PermanentJobError("customer cus_1 does not exist");
      },
    });
    await using w = await startTestWorker({ handlers: [doomed] });
    const job = await BfJob.create({ type: "doomed", payload: {} }, cv);
    const row = await w.waitForStatus(job.id, "failed");
    assert.equal(row.attempts, 1);
    assert.equal(row.error, "customer cus_1 does not exist");
    assert.equal(calls, 1);
    const [line] = await w.waitForLogs("job failed for good");
    assert.equal(line?.jobId, job.id);
    assert.equal(line?.jobType, "doomed");
    assert.equal(line?.permanent, true);
  },
);

dbTest(
  "other errors retry with exponential backoff, then dead-letter after maxAttempts",
  async () => {
    const attempts: number[] = [];
    const flaky = defineHandler({
      type: "flaky",
      schema: z.object({}),
      process(_payload, ctx) {
        attempts.push(ctx.attempt);
        throw new Error("backend answered 503");
      },
    });
    await using w = await startTestWorker({ handlers: [flaky] });
    const job = await BfJob.create({ type: "flaky", payload: {} }, cv);

    const first = await w.waitForJob(
      job.id,
      (r) => r.attempts === 1 && r.status === "available",
      "the first attempt to be settled for retry",
    );
    assert.equal(first.error, "backend answered 503");
    assert.equal(first.workerId, undefined);
    // Backoff after attempt 1 is 1 s with equal jitter: at least half of it.
    assert.ok(backoffOf(first, 1) >= 500, JSON.stringify(first));

    // Let the backoff elapse without waiting for it.
    await makeRunnableNow(job.id);
    const second = await w.waitForJob(
      job.id,
      (r) => r.attempts === 2 && r.status === "available",
      "the second attempt to be settled for retry",
    );
    assert.ok(backoffOf(second, 2) >= 1_000, JSON.stringify(second));
    assert.equal(second.errors?.length, 2);

    await makeRunnableNow(job.id);
    const last = await w.waitForStatus(job.id, "failed");
    assert.equal(last.attempts, 3);
    assert.equal(last.error, "backend answered 503");
    assert.deepEqual(last.errors?.map((e) => e.attempt), [1, 2, 3]);
    assert.deepEqual(attempts, [1, 2, 3]);
    await w.waitForLogs("job failed for good");
    assert.equal(w.worker.metrics.retried.get("flaky"), 2);
    assert.equal(w.worker.metrics.failed.get("flaky"), 1);
  },
);

dbTest(
  "a job running past jobTimeoutMs fails its attempt as timed out, even if the handler ignores the abort",
  async () => {
    const gate = new Gate();
    const stubborn = defineHandler({
      type: "stubborn",
      schema: z.object({}),
      async process() {
        await gate.wait(); // ignores ctx.signal
      },
    });
    try {
      await using w = await startTestWorker({
        handlers: [stubborn],
        config: { jobTimeoutMs: 100 },
      });
      const job = await BfJob.create(
        { type: "stubborn", payload: {}, maxAttempts: 1 },
        cv,
      );
      const row = await w.waitForStatus(job.id, "failed");
      assert.equal(row.attempts, 1);
      assert.equal(row.error, "timed out after 100 ms");
      assert.equal(w.worker.runningCount, 0);
    } finally {
      gate.open();
    }
  },
);

dbTest(
  "each running job gets the whole jobTimeoutMs from its own start, whatever ran or ended before it",
  async () => {
    const gate = new Gate();
    const abortedAfter = new Map<number, number>();
    const timed = defineHandler({
      type: "timed",
      schema: z.object({ n: z.number() }),
      async process({ n }, ctx) {
        const started = performance.now();
        if (n === 0) return; // ends at once, before the others' time is up
        await Promise.race([aborted(ctx.signal), gate.wait()]);
        if (ctx.signal.aborted) {
          abortedAfter.set(n, performance.now() - started);
        }
      },
    });
    try {
      await using w = await startTestWorker({
        handlers: [timed],
        config: { jobTimeoutMs: 300 },
      });
      const first = await BfJob.create(
        { type: "timed", payload: { n: 0 }, maxAttempts: 1 },
        cv,
      );
      await w.waitForStatus(first.id, "completed");
      const early = await BfJob.create(
        { type: "timed", payload: { n: 1 }, maxAttempts: 1 },
        cv,
      );
      // The second waiting job starts 150 ms into the first one's time.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const late = await BfJob.create(
        { type: "timed", payload: { n: 2 }, maxAttempts: 1 },
        cv,
      );
      for (const job of [early, late]) {
        const row = await w.waitForStatus(job.id, "failed");
        assert.equal(row.error, "timed out after 300 ms");
      }
      // Neither was cut short by a deadline meant for another job: job 2 would have been
      // aborted about 150 ms in by job 1's. (The bound leaves room for the handler starting a
      // little after its launch; a timer is never early.)
      assert.ok(
        abortedAfter.get(1)! >= 200,
        `job 1 after ${abortedAfter.get(1)} ms`,
      );
      assert.ok(
        abortedAfter.get(2)! >= 200,
        `job 2 after ${abortedAfter.get(2)} ms`,
      );
      assert.equal(w.worker.runningCount, 0);
    } finally {
      gate.open();
    }
  },
);

dbTest(
  "ctx.signal fires on timeout with a timeout reason; the attempt is retried",
  async () => {
    const reasons: unknown[] = [];
    const patient = defineHandler({
      type: "patient",
      schema: z.object({}),
      async process(_payload, ctx) {
        await aborted(ctx.signal);
        reasons.push(ctx.signal.reason);
        throw ctx.signal.reason;
      },
    });
    await using w = await startTestWorker({
      handlers: [patient],
      config: { jobTimeoutMs: 100 },
    });
    const job = await BfJob.create({ type: "patient", payload: {} }, cv);
    const row = await w.waitForJob(
      job.id,
      (r) => r.attempts === 1 && r.status === "available",
      "the timed-out attempt to be settled for retry",
    );
    assert.equal(row.error, "timed out after 100 ms");
    assert.equal(reasons.length, 1);
    assert.ok(reasons[0] instanceof JobAbort);
    assert.equal(reasons[0].kind, "timeout");
  },
);
