// BfJob.claimNext: order (priority, then runAt/age), runAt in the future, the types filter,
// limit, the memo's one-job form, and what a claim writes.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { claimJobsQuery } from "../jobs/claimJobs.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfJob } from "./BfJob.ts";
import {
  countJobs,
  databaseNow,
  ids,
  jobRow,
  setRunAt,
  TEST_CV,
} from "../testing/jobRows.ts";
import { waitFor } from "../testing/waitFor.ts";

/** An ISO instant `seconds` from now on the local clock (only used for clearly past/future). */
function isoIn(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString();
}

dbTest(
  "claimNext(workerId): the memo's form returns one job or null",
  async () => {
    assert.equal(await BfJob.claimNext("worker-1"), null);
    const created = await BfJob.create(
      { type: "t", payload: { a: 1 } },
      TEST_CV,
    );
    const job = await BfJob.claimNext("worker-1");
    assert.ok(job instanceof BfJob);
    assert.equal(job.id, created.id);
    assert.equal(await BfJob.claimNext("worker-2"), null);
    // Its viewer is the job's own org, as the producer created it.
    assert.equal(job.cv.orgId, TEST_CV.orgId);
    assert.equal(job.metadata.bfCid, TEST_CV.personId);
  },
);

dbTest(
  "claim: marks claimed by the worker, counts the attempt, leases the job",
  async () => {
    const created = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    const job = await BfJob.claimNext("worker-1", { leaseMs: 90_000 });
    assert.ok(job);
    const stored = await jobRow(created.id);
    assert.deepEqual(stored, job.props);
    assert.equal(stored.status, "claimed");
    assert.equal(stored.workerId, "worker-1");
    assert.equal(stored.attempts, 1);
    assert.equal("startedAt" in stored, false);
    // The lease is exactly leaseMs after the claim's database time (last_updated is that now()).
    const [lease] = await bfDb.query<{ ms: string }>(
      `SELECT extract(epoch FROM (props->>'lockedUntil')::timestamptz - last_updated) * 1000 AS ms
     FROM bfdb WHERE bf_gid = $1`,
      [created.id],
    );
    assert.ok(Math.abs(Number(lease.ms) - 90_000) < 1, `lease ${lease.ms}`);
    assert.deepEqual(job.held, { id: created.id, attempt: 1 });
  },
);

dbTest(
  "claim with start: goes straight to running with startedAt",
  async () => {
    const created = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    const [job] = await BfJob.claimBatch("worker-1", { limit: 1, start: true });
    assert.equal(job.id, created.id);
    const stored = await jobRow(created.id);
    assert.equal(stored.status, "running");
    assert.equal(stored.attempts, 1);
    assert.equal(typeof stored.startedAt, "string");
    assert.ok(await job.complete());
    assert.equal((await jobRow(created.id)).status, "completed");
  },
);

dbTest(
  "claim order: priority descending, then runAt (oldest first)",
  async () => {
    const make = (name: string, priority: number, ageSeconds: number) =>
      BfJob.create({
        type: "t",
        payload: { name },
        priority,
        runAt: isoIn(-ageSeconds),
      }, TEST_CV);
    // Created in an order that matches neither rule, so only the claim's ORDER BY can sort them.
    await make("low-old", -1, 500);
    await make("mid-new", 0, 10);
    await make("high-new", 5, 1);
    await make("mid-old", 0, 300);
    await make("high-old", 5, 200);
    await make("mid-middle", 0, 100);
    await make("top", 100, 2);
    const order: string[] = [];
    for (let i = 0; i < 7; i++) {
      const job = await BfJob.claimNext(`worker-${i}`);
      assert.ok(job);
      order.push((job.props.payload as { name: string }).name);
    }
    assert.deepEqual(order, [
      "top",
      "high-old",
      "high-new",
      "mid-old",
      "mid-middle",
      "mid-new",
      "low-old",
    ]);
    assert.equal(await BfJob.claimNext("worker-x"), null);
  },
);

dbTest(
  "claim order: a batch claim takes the first N jobs in claim order",
  async () => {
    const jobs = await BfJob.createMany(
      Array.from({ length: 20 }, (_, i) => ({
        type: "t",
        payload: { i },
        priority: i % 4,
        runAt: isoIn(-1000 + i),
      })),
      TEST_CV,
    );
    const expected = [...jobs].sort((a, b) =>
      b.props.priority - a.props.priority ||
      (a.props.runAt! < b.props.runAt! ? -1 : 1)
    );
    const first = await BfJob.claimBatch("w", { limit: 8 });
    const rest = await BfJob.claimBatch("w", { limit: 100 });
    assert.equal(first.length, 8);
    assert.equal(rest.length, 12);
    // RETURNING does not promise an order, so compare which jobs each batch took.
    assert.deepEqual(
      new Set(ids(first)),
      new Set(ids(expected.slice(0, 8))),
    );
    assert.deepEqual(new Set(ids(rest)), new Set(ids(expected.slice(8))));
  },
);

dbTest("runAt in the future: not claimable until it passes", async () => {
  const later = await BfJob.create(
    { type: "t", payload: { when: "later" }, runAt: isoIn(3600), priority: 9 },
    TEST_CV,
  );
  const now = await BfJob.create(
    { type: "t", payload: { when: "now" } },
    TEST_CV,
  );
  // The future job has the higher priority and is still passed over.
  assert.equal((await BfJob.claimNext("w1"))?.id, now.id);
  assert.equal(await BfJob.claimNext("w1"), null);
  assert.deepEqual(await BfJob.claimBatch("w1", { limit: 10 }), []);
  assert.equal((await jobRow(later.id)).status, "available");
  // Time passes (moved for this job only): now it is claimable.
  await setRunAt(later.id, -1);
  assert.equal((await BfJob.claimNext("w1"))?.id, later.id);
});

dbTest(
  "runAt in the future: the claim happens no earlier than runAt, on real time",
  async () => {
    const [{ runAt }] = await bfDb.query<{ runAt: string }>(
      `SELECT bfdb_iso(clock_timestamp() + interval '300 milliseconds') AS "runAt"`,
    );
    const job = await BfJob.create({ type: "t", payload: {}, runAt }, TEST_CV);
    let claimed: BfJob | null = null;
    await waitFor(async () => {
      claimed = await BfJob.claimNext("w1", { leaseMs: 60_000 });
      return claimed !== null;
    }, "the job to become claimable");
    assert.equal(claimed!.id, job.id);
    // lockedUntil = claim's now + lease, so the claim's database time is lockedUntil - lease.
    const [{ claimedAt }] = await bfDb.query<{ claimedAt: string }>(
      `SELECT bfdb_iso((props->>'lockedUntil')::timestamptz - interval '60 seconds') AS "claimedAt"
     FROM bfdb WHERE bf_gid = $1`,
      [job.id],
    );
    assert.ok(claimedAt >= runAt, `claimed at ${claimedAt}, runAt ${runAt}`);
    assert.ok((await databaseNow()) >= runAt);
  },
);

dbTest("types filter: only the listed types are claimed", async () => {
  await BfJob.createMany([
    { type: "email", payload: { n: 1 }, priority: 1 },
    { type: "sms", payload: { n: 2 }, priority: 5 },
    { type: "push", payload: { n: 3 }, priority: 9 },
    { type: "email", payload: { n: 4 } },
  ], TEST_CV);
  const emails = await BfJob.claimBatch("w", { types: ["email"], limit: 10 });
  assert.deepEqual(emails.map((job) => job.props.type), ["email", "email"]);
  const smsOrNothing = await BfJob.claimNext("w", { types: ["sms", "fax"] });
  assert.equal(smsOrNothing?.props.type, "sms");
  assert.equal(await BfJob.claimNext("w", { types: ["fax"] }), null);
  assert.equal(await BfJob.claimNext("w", { types: [] }), null);
  assert.deepEqual(await BfJob.claimBatch("w", { types: [], limit: 5 }), []);
  assert.equal((await BfJob.claimNext("w"))?.props.type, "push");
});

dbTest("limit: claims at most limit, each once", async () => {
  await BfJob.createMany(
    Array.from({ length: 25 }, (_, i) => ({ type: "t", payload: { i } })),
    TEST_CV,
  );
  const a = await BfJob.claimBatch("w-a", { limit: 10 });
  const b = await BfJob.claimBatch("w-b", { limit: 10 });
  const c = await BfJob.claimBatch("w-c", { limit: 10 });
  assert.deepEqual([a.length, b.length, c.length], [10, 10, 5]);
  assert.equal(new Set([...ids(a), ...ids(b), ...ids(c)]).size, 25);
  const [{ n }] = await bfDb.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bfdb
     WHERE class_name = 'BfJob' AND props->>'status' = 'claimed' AND props->>'workerId' = 'w-b'`,
  );
  assert.equal(Number(n), 10);
  assert.equal(await countJobs("available"), 0);
});

dbTest("claim: bad options are refused before any SQL runs", async () => {
  await BfJob.create({ type: "t", payload: {} }, TEST_CV);
  for (const limit of [0, -1, 1.5, 10_001]) {
    await assert.rejects(BfJob.claimBatch("w", { limit }), RangeError);
  }
  for (const leaseMs of [0, 2.5, 86_400_001]) {
    await assert.rejects(BfJob.claimNext("w", { leaseMs }), RangeError);
  }
  for (const workerId of ["", "\ud800lone"]) {
    await assert.rejects(BfJob.claimNext(workerId), TypeError);
  }
  assert.equal(await countJobs("available"), 1);
});

Deno.test("claimJobsQuery: values are bound parameters, never spliced into the SQL", () => {
  const hostile = "'; DROP TABLE bfdb; --";
  const kinds = [{ queue: hostile, type: hostile }];
  const query = claimJobsQuery(hostile, kinds, { limit: 3, leaseMs: 1234 });
  assert.ok(query);
  assert.equal(query.text.includes(hostile), false);
  assert.equal(query.text.includes("1234"), false);
  assert.deepEqual(query.params, [hostile, hostile, hostile, 1234, 0, 3]);
  const two = claimJobsQuery("w", [...kinds, { queue: "q", type: "t" }]);
  assert.ok(two);
  assert.equal(two.text.includes(hostile), false);
  assert.deepEqual(two.params.slice(0, 2), [[hostile, "q"], [hostile, "t"]]);
  assert.equal(claimJobsQuery("w", []), null);
});
