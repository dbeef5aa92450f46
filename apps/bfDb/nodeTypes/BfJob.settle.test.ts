// Settling held jobs: start, complete, fail (retry with backoff or dead-letter), release, and
// the batch forms, each fenced by worker and attempt.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { MAX_ERROR_LENGTH, storableErrorText } from "../jobs/failJobs.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfJob } from "./BfJob.ts";
import { jobRow, setRunAt, TEST_CV } from "../testing/jobRows.ts";

interface ErrorEntry {
  attempt: number;
  error: string;
  at: string;
  permanent: boolean;
}

/** Creates one job and claims it for `workerId`. */
async function createAndClaim(
  workerId = "worker-1",
  options: { maxAttempts?: number } = {},
): Promise<BfJob> {
  await BfJob.create({ type: "t", payload: {}, ...options }, TEST_CV);
  const job = await BfJob.claimNext(workerId);
  assert.ok(job);
  return job;
}

/** Seconds between a job's runAt and the database time of its last update. */
async function runAtDelaySeconds(id: string): Promise<number> {
  const [row] = await bfDb.query<{ s: string }>(
    `SELECT extract(epoch FROM (props->>'runAt')::timestamptz - last_updated) AS s
     FROM bfdb WHERE bf_gid = $1`,
    [id],
  );
  return Number(row.s);
}

dbTest("start then complete: claimed → running → completed", async () => {
  const job = await createAndClaim();
  assert.equal(await job.start(), true);
  assert.equal(job.props.status, "running");
  let props = await jobRow(job.id);
  assert.equal(props.status, "running");
  assert.equal(typeof props.startedAt, "string");
  assert.equal(await job.start(), false, "start only from claimed");
  assert.equal(await job.complete(), true);
  assert.equal(job.props.status, "completed");
  props = await jobRow(job.id);
  assert.equal(props.status, "completed");
  assert.equal(typeof props.finishedAt, "string");
  assert.ok((props.finishedAt as string) >= (props.startedAt as string));
  assert.equal("lockedUntil" in props, false);
  assert.equal(props.workerId, "worker-1", "who ran it stays on record");
  assert.equal(await job.complete(), false, "completing twice is refused");
  assert.equal(await job.fail("after the fact"), null);
  assert.equal((await jobRow(job.id)).status, "completed");
});

dbTest("complete straight from claimed, without start", async () => {
  const job = await createAndClaim();
  assert.equal(await job.complete(), true);
  assert.equal((await jobRow(job.id)).status, "completed");
});

dbTest("settles by another worker are refused", async () => {
  const job = await createAndClaim("worker-1");
  const held = [job.held];
  assert.deepEqual(await BfJob.startMany("worker-2", held), []);
  assert.deepEqual(await BfJob.completeMany("worker-2", held), []);
  assert.deepEqual(await BfJob.releaseMany("worker-2", held), []);
  assert.deepEqual(
    await BfJob.failMany("worker-2", [{
      ...job.held,
      error: "x",
      retryDelayMs: 0,
    }]),
    [],
  );
  assert.deepEqual(
    await BfJob.completeMany("worker-1", [{ ...job.held, attempt: 2 }]),
    [],
  );
  const props = await jobRow(job.id);
  assert.equal(props.status, "claimed");
  assert.equal(props.workerId, "worker-1");
});

dbTest(
  "fail with attempts left: retry at now + delay, not claimable before, worker cleared",
  async () => {
    const job = await createAndClaim("worker-1", { maxAttempts: 3 });
    assert.equal(
      await job.fail(new Error("smtp timeout"), { retryDelayMs: 60_000 }),
      "available",
    );
    assert.equal(job.props.status, "available");
    const props = await jobRow(job.id);
    assert.equal(props.status, "available");
    assert.equal(props.attempts, 1);
    assert.equal(props.error, "smtp timeout");
    for (const gone of ["workerId", "lockedUntil", "startedAt"]) {
      assert.equal(gone in props, false, `${gone} cleared`);
    }
    assert.ok(Math.abs((await runAtDelaySeconds(job.id)) - 60) < 0.001);
    const errors = props.errors as ErrorEntry[];
    assert.equal(errors.length, 1);
    assert.deepEqual(
      {
        attempt: errors[0].attempt,
        error: errors[0].error,
        permanent: errors[0].permanent,
      },
      { attempt: 1, error: "smtp timeout", permanent: false },
    );
    // Not claimable before its runAt ...
    assert.equal(await BfJob.claimNext("worker-2"), null);
    // ... and claimable once it passes.
    await setRunAt(job.id, -0.001);
    const again = await BfJob.claimNext("worker-2");
    assert.equal(again?.id, job.id);
    assert.equal(again.props.attempts, 2);
  },
);

dbTest(
  "fail: the default delay is exponential backoff with jitter from the attempt",
  async () => {
    const job = await createAndClaim("worker-1", { maxAttempts: 5 });
    assert.equal(await job.fail("boom"), "available");
    // Attempt 1 with the default policy: between 0.5 s and 1 s.
    const first = await runAtDelaySeconds(job.id);
    assert.ok(first >= 0.499 && first <= 1.001, `delay ${first}`);
    await setRunAt(job.id, -1);
    const second = await BfJob.claimNext("worker-1");
    assert.ok(second);
    assert.equal(await second.fail("boom"), "available");
    await setRunAt(job.id, -1);
    const third = await BfJob.claimNext("worker-1");
    assert.ok(third);
    assert.equal(await third.fail("boom"), "available");
    // Attempt 3: between 2 s and 4 s.
    const delay = await runAtDelaySeconds(job.id);
    assert.ok(delay >= 1.999 && delay <= 4.001, `delay ${delay}`);
  },
);

dbTest(
  "fail on the last attempt dead-letters; the error history keeps every attempt",
  async () => {
    await BfJob.create({ type: "t", payload: {}, maxAttempts: 3 }, TEST_CV);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await BfJob.claimNext(`worker-${attempt}`);
      assert.ok(job, `attempt ${attempt}`);
      assert.equal(job.props.attempts, attempt);
      const status = await job.fail(`failure ${attempt}`, { retryDelayMs: 0 });
      assert.equal(status, attempt < 3 ? "available" : "failed");
      const props = await jobRow(job.id);
      assert.equal(
        (props.errors as ErrorEntry[]).length,
        attempt,
        "history grows",
      );
    }
    const [failed] = await BfJob.list({ status: "failed" });
    const props = await jobRow(failed.id);
    assert.equal(props.status, "failed");
    assert.equal(props.error, "failure 3");
    assert.equal(
      props.workerId,
      "worker-3",
      "the dead letter names its last worker",
    );
    assert.equal(typeof props.finishedAt, "string");
    assert.deepEqual(
      (props.errors as ErrorEntry[]).map((e) => [e.attempt, e.error]),
      [[1, "failure 1"], [2, "failure 2"], [3, "failure 3"]],
    );
    assert.equal(await BfJob.claimNext("worker-4"), null);
  },
);

dbTest("fail permanent: dead-letters on the first attempt", async () => {
  const job = await createAndClaim("worker-1", { maxAttempts: 10 });
  assert.equal(
    await job.fail(new Error("bad payload"), { permanent: true }),
    "failed",
  );
  const props = await jobRow(job.id);
  assert.equal(props.status, "failed");
  assert.equal(props.attempts, 1);
  assert.equal(props.error, "bad payload");
  const errors = props.errors as ErrorEntry[];
  assert.equal(errors.length, 1);
  assert.equal(errors[0].permanent, true);
  assert.equal(await BfJob.claimNext("worker-2"), null);
});

dbTest(
  "failMany: one statement settles a mix of retries and dead letters",
  async () => {
    await BfJob.createMany([
      { type: "t", payload: { n: 1 }, maxAttempts: 1 },
      { type: "t", payload: { n: 2 }, maxAttempts: 5 },
      { type: "t", payload: { n: 3 }, maxAttempts: 5 },
    ], TEST_CV);
    const jobs = await BfJob.claimBatch("worker-1", { limit: 3 });
    const byN = (n: number) =>
      jobs.find((job) => (job.props.payload as { n: number }).n === n)!;
    const outcomes = await BfJob.failMany("worker-1", [
      { ...byN(1).held, error: "last attempt", retryDelayMs: 1000 },
      { ...byN(2).held, error: "try again", retryDelayMs: 5000 },
      {
        ...byN(3).held,
        error: "hopeless",
        retryDelayMs: 1000,
        permanent: true,
      },
    ]);
    assert.deepEqual(
      Object.fromEntries(outcomes.map((o) => [o.id, o.status])),
      {
        [byN(1).id]: "failed",
        [byN(2).id]: "available",
        [byN(3).id]: "failed",
      },
    );
    assert.ok(Math.abs((await runAtDelaySeconds(byN(2).id)) - 5) < 0.001);
    assert.deepEqual(await BfJob.failMany("worker-1", []), []);
  },
);

dbTest(
  "fail: error text is stored safely (NUL, lone surrogates, huge, split surrogate pair)",
  async () => {
    await BfJob.createMany(
      Array.from(
        { length: 4 },
        (_, i) => ({ type: "t", payload: { i }, maxAttempts: 9 }),
      ),
      TEST_CV,
    );
    const jobs = await BfJob.claimBatch("worker-1", { limit: 4 });
    const messages = [
      "nul\u0000inside",
      "lone \ud800 high and \udc00 low",
      "x".repeat(100_000),
      "a" + "😀".repeat(3000), // the cut at MAX_ERROR_LENGTH falls inside a pair
    ];
    for (const [i, job] of jobs.entries()) {
      assert.equal(
        await job.fail(messages[i], { retryDelayMs: 0 }),
        "available",
        `message ${i}`,
      );
      const props = await jobRow(job.id);
      assert.equal(props.error, storableErrorText(messages[i]));
      assert.equal((props.errors as ErrorEntry[])[0].error, props.error);
    }
    assert.equal(storableErrorText(messages[0]), "nulinside");
    assert.equal(
      storableErrorText(messages[1]),
      "lone \ufffd high and \ufffd low",
    );
    assert.equal(storableErrorText(messages[2]).length, MAX_ERROR_LENGTH);
    const cut = storableErrorText(messages[3]);
    assert.equal(cut.length, MAX_ERROR_LENGTH - 1);
    assert.ok(cut.isWellFormed());
    assert.equal(storableErrorText("😀".repeat(3000)).length, MAX_ERROR_LENGTH);
  },
);

dbTest("error history keeps the newest 20 entries", async () => {
  const created = await BfJob.create({
    type: "t",
    payload: {},
    maxAttempts: 30,
  }, TEST_CV);
  for (let attempt = 1; attempt <= 25; attempt++) {
    const job = await BfJob.claimNext("worker-1");
    assert.ok(job);
    await job.fail(`e${attempt}`, { retryDelayMs: 0 });
  }
  const errors = (await jobRow(created.id)).errors as ErrorEntry[];
  assert.equal(errors.length, 20);
  assert.deepEqual(
    errors.map((e) => e.attempt),
    Array.from({ length: 20 }, (_, i) => i + 6),
  );
});

dbTest("release: hands the job back without spending the attempt", async () => {
  await BfJob.createMany([
    { type: "t", payload: { n: 1 } },
    { type: "t", payload: { n: 2 } },
  ], TEST_CV);
  const jobs = await BfJob.claimBatch("worker-1", { limit: 2 });
  assert.equal(await jobs[0].start(), true);
  assert.equal(await jobs[0].release(), true);
  assert.deepEqual(await BfJob.releaseMany("worker-1", [jobs[1].held]), [
    jobs[1].id,
  ]);
  for (const job of jobs) {
    const props = await jobRow(job.id);
    assert.equal(props.status, "available");
    assert.equal(props.attempts, 0);
    for (const gone of ["workerId", "lockedUntil", "startedAt"]) {
      assert.equal(gone in props, false, `${gone} cleared`);
    }
  }
  assert.equal(await jobs[0].release(), false, "released twice is refused");
  const again = await BfJob.claimBatch("worker-2", { limit: 2 });
  assert.equal(again.length, 2);
  assert.ok(again.every((job) => job.props.attempts === 1));
});

dbTest("batch settles return only the ids this worker still held", async () => {
  await BfJob.createMany(
    Array.from({ length: 6 }, (_, i) => ({ type: "t", payload: { i } })),
    TEST_CV,
  );
  const mine = await BfJob.claimBatch("worker-1", { limit: 4 });
  const theirs = await BfJob.claimBatch("worker-2", { limit: 2 });
  const started = await BfJob.startMany("worker-1", [
    ...mine.map((job) => job.held),
    ...theirs.map((job) => job.held),
  ]);
  assert.deepEqual(new Set(started), new Set(mine.map((job) => job.id)));
  const completed = await BfJob.completeMany("worker-1", [
    mine[0].held,
    mine[1].held,
    theirs[0].held,
  ]);
  assert.deepEqual(new Set(completed), new Set([mine[0].id, mine[1].id]));
  assert.equal((await jobRow(theirs[0].id)).status, "claimed");
  assert.deepEqual(await BfJob.completeMany("worker-1", []), []);
  assert.deepEqual(await BfJob.startMany("worker-1", []), []);
  assert.deepEqual(await BfJob.releaseMany("worker-1", []), []);
});

dbTest("instance settles need a holder", async () => {
  const job = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
  await assert.rejects(job.complete(), /not held by any worker/);
  assert.equal((await jobRow(job.id)).status, "available");
});

dbTest(
  "fail: a non-finite delay is refused before anything is written; huge delays are capped",
  async () => {
    const job = await createAndClaim("worker-1", { maxAttempts: 5 });
    const before = await jobRow(job.id);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(job.fail("x", { retryDelayMs: bad }), RangeError);
      await assert.rejects(
        BfJob.failMany("worker-1", [{
          ...job.held,
          error: "x",
          retryDelayMs: bad,
        }]),
        RangeError,
      );
    }
    assert.deepEqual(await jobRow(job.id), before, "still held, untouched");
    // A delay past the cap waits one year, and the job keeps a real runAt.
    assert.equal(await job.fail("x", { retryDelayMs: 1e20 }), "available");
    const days = (await runAtDelaySeconds(job.id)) / 86_400;
    assert.ok(Math.abs(days - 365) < 1e-6, `${days} days`);
    // A negative delay means now.
    await setRunAt(job.id, -1);
    const again = await BfJob.claimNext("worker-1");
    assert.ok(again);
    assert.equal(await again.fail("x", { retryDelayMs: -5_000 }), "available");
    assert.equal((await BfJob.claimNext("worker-2"))?.id, job.id);
  },
);
