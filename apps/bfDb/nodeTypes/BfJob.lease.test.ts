// Leases: expiry and reaping, fencing of a stale worker's late settles, heartbeat, and
// attempts: a started job that kills its worker every time still ends failed, while a job its
// worker only held (claimed ahead, never started) goes back uncharged.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfJob } from "./BfJob.ts";
import { MAX_UNCHARGED_RETURNS } from "../jobs/reapExpiredJobs.ts";
import {
  databaseNow,
  jobRow,
  jobRowText,
  makeRunnableNow,
  TEST_CV,
  waitForLeasesToExpire,
} from "../testing/jobRows.ts";

/**
 * Claims and starts one job for `workerId` with a 1 ms lease and waits until that lease has
 * passed: a worker that died while the job ran.
 */
async function claimAndAbandon(workerId: string): Promise<BfJob> {
  const job = await BfJob.claimNext(workerId, { leaseMs: 1, start: true });
  assert.ok(job, `${workerId} should claim a job`);
  await waitForLeasesToExpire([job.id]);
  return job;
}

dbTest(
  "lease expiry: an abandoned job is reaped, claimed again, and the stale worker is refused",
  async () => {
    const created = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    const stale = await claimAndAbandon("worker-dead");
    assert.equal(stale.id, created.id);
    // Until the reaper runs, nobody else can claim it.
    assert.equal(await BfJob.claimNext("worker-new"), null);

    const reaped = await BfJob.reapExpired();
    assert.deepEqual(reaped, [{
      id: created.id,
      type: "t",
      status: "available",
      workerId: "worker-dead",
      charged: true,
    }]);
    const afterReap = await jobRow(created.id);
    assert.equal(afterReap.status, "available");
    assert.ok(
      afterReap.runAt! > await databaseNow(),
      "a reaped job retries after the same backoff as a failed attempt",
    );
    assert.equal(afterReap.attempts, 1);
    assert.equal("workerId" in afterReap, false);
    assert.equal("lockedUntil" in afterReap, false);
    assert.match(
      afterReap.error as string,
      /lease expired: worker worker-dead/,
    );
    assert.deepEqual(
      (afterReap.errors as { attempt: number }[]).map((e) => e.attempt),
      [1],
    );
    assert.deepEqual(
      await BfJob.reapExpired(),
      [],
      "reaping twice does nothing",
    );

    // The stale worker, not yet re-claimed by anyone, still cannot settle it.
    const beforeLate = await jobRowText(created.id);
    assert.equal(await stale.complete(), false);
    assert.equal(await stale.fail(new Error("late")), null);
    assert.equal(await stale.release(), false);
    assert.equal(await stale.start(), false);
    assert.equal(await jobRowText(created.id), beforeLate);

    assert.equal(
      await BfJob.claimNext("worker-new"),
      null,
      "not before its backoff",
    );
    await makeRunnableNow(created.id);
    const fresh = await BfJob.claimNext("worker-new", { leaseMs: 60_000 });
    assert.equal(fresh?.id, created.id);
    assert.equal(fresh.props.attempts, 2);

    // Late settles from the dead worker are refused and change nothing.
    const beforeLate2 = await jobRowText(created.id);
    assert.equal(await stale.complete(), false);
    assert.equal(await stale.fail("late", { permanent: true }), null);
    assert.equal(await stale.release(), false);
    assert.equal(await stale.start(), false);
    assert.deepEqual(await BfJob.completeMany("worker-dead", [stale.held]), []);
    assert.deepEqual(
      await BfJob.failMany("worker-dead", [{
        ...stale.held,
        error: "x",
        retryDelayMs: 0,
      }]),
      [],
    );
    assert.deepEqual(await BfJob.releaseMany("worker-dead", [stale.held]), []);
    assert.deepEqual(await BfJob.startMany("worker-dead", [stale.held]), []);
    // Even with the new holder's id, the old attempt number is fenced off.
    assert.deepEqual(await BfJob.completeMany("worker-new", [stale.held]), []);
    assert.deepEqual(await BfJob.heartbeat("worker-dead", 60_000), []);
    assert.equal(await jobRowText(created.id), beforeLate2);

    // The new holder settles normally.
    assert.equal(await fresh.complete(), true);
    const done = await jobRow(created.id);
    assert.equal(done.status, "completed");
    assert.equal(done.workerId, "worker-new");
    assert.equal(await stale.complete(), false);
  },
);

dbTest(
  "lease expiry: the same worker id re-claiming does not let its old attempt settle",
  async () => {
    await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    const first = await claimAndAbandon("worker-1");
    await BfJob.reapExpired();
    await makeRunnableNow(first.id);
    const second = await BfJob.claimNext("worker-1");
    assert.equal(second?.id, first.id);
    assert.equal(await first.complete(), false, "attempt 1 is stale");
    assert.equal((await jobRow(first.id)).status, "claimed");
    assert.equal(await second.complete(), true);
  },
);

dbTest(
  "lease expiry: running jobs (claimAndStart) are reaped too; live leases are not",
  async () => {
    await BfJob.createMany([
      { type: "t", payload: { n: 1 } },
      { type: "t", payload: { n: 2 } },
    ], TEST_CV);
    const [running] = await BfJob.claimBatch("worker-1", {
      limit: 1,
      start: true,
      leaseMs: 1,
    });
    const live = await BfJob.claimNext("worker-2", { leaseMs: 3_600_000 });
    assert.ok(live);
    await waitForLeasesToExpire([running.id]);
    const reaped = await BfJob.reapExpired();
    assert.deepEqual(reaped.map((r) => r.id), [running.id]);
    const props = await jobRow(running.id);
    assert.equal(props.status, "available");
    assert.equal("startedAt" in props, false);
    assert.equal((await jobRow(live.id)).status, "claimed");
  },
);

dbTest(
  "a job its worker held but never started is reaped uncharged (no attempt, no backoff), a bounded number of times",
  async () => {
    const created = await BfJob.create(
      { type: "once", payload: {}, maxAttempts: 1 },
      TEST_CV,
    );
    const before = await jobRow(created.id);
    for (let round = 1; round <= MAX_UNCHARGED_RETURNS; round++) {
      const held = await BfJob.claimNext(`worker-${round}`, { leaseMs: 1 });
      assert.equal(held?.id, created.id);
      assert.equal(held.props.attempts, 1, "charged while held");
      await waitForLeasesToExpire([created.id]);
      assert.deepEqual(await BfJob.reapExpired(), [{
        id: created.id,
        type: "once",
        status: "available",
        workerId: `worker-${round}`,
        charged: false,
      }]);
      const after = await jobRow(created.id);
      assert.equal(after.status, "available");
      assert.equal(after.attempts, 0);
      assert.equal(after.runAt, before.runAt, "no backoff");
      assert.equal("error" in after, false, "the last error is untouched");
      const notes = after.errors as { uncharged?: boolean; error: string }[];
      assert.equal(notes.length, round);
      assert.ok(notes.every((n) => n.uncharged === true));
      assert.match(notes[round - 1].error, /not counted/);
    }
    // A job that keeps dying unstarted with its workers counts from now on: never forever.
    await BfJob.claimNext("worker-last", { leaseMs: 1 });
    await waitForLeasesToExpire([created.id]);
    const [last] = await BfJob.reapExpired();
    assert.equal(last.charged, true);
    assert.equal(last.status, "failed");
    assert.equal((await jobRow(created.id)).status, "failed");
  },
);

dbTest("reapExpired(limit) reaps at most limit jobs per call", async () => {
  await BfJob.createMany(
    Array.from({ length: 5 }, (_, i) => ({ type: "t", payload: { i } })),
    TEST_CV,
  );
  const jobs = await BfJob.claimBatch("w", { limit: 5, leaseMs: 1 });
  await waitForLeasesToExpire(jobs.map((job) => job.id));
  assert.equal((await BfJob.reapExpired(2)).length, 2);
  assert.equal((await BfJob.reapExpired(10)).length, 3);
  assert.equal((await BfJob.reapExpired()).length, 0);
});

dbTest(
  "heartbeat: extends every lease the worker holds and returns the held ids",
  async () => {
    await BfJob.createMany(
      Array.from({ length: 4 }, (_, i) => ({ type: "t", payload: { i } })),
      TEST_CV,
    );
    const mine = await BfJob.claimBatch("worker-1", { limit: 3, leaseMs: 1 });
    const theirs = await BfJob.claimNext("worker-2", { leaseMs: 1 });
    assert.ok(theirs);
    await BfJob.startMany("worker-1", [mine[0].held]); // one running, two claimed
    await waitForLeasesToExpire([...mine.map((j) => j.id), theirs.id]);

    const held = await BfJob.heartbeat("worker-1", 600_000);
    assert.deepEqual(new Set(held), new Set(mine.map((job) => job.id)));
    // Each lease is now leaseMs after the heartbeat's database time.
    const leases = await bfDb.query<{ id: string; ms: string }>(
      `SELECT bf_gid AS id,
            extract(epoch FROM (props->>'lockedUntil')::timestamptz - last_updated) * 1000 AS ms
     FROM bfdb WHERE bf_gid = ANY($1::text[])`,
      [mine.map((job) => job.id)],
    );
    for (const lease of leases) {
      assert.ok(Math.abs(Number(lease.ms) - 600_000) < 1, `lease ${lease.ms}`);
    }
    // Only the other worker's job is expired now.
    const reaped = await BfJob.reapExpired();
    assert.deepEqual(reaped.map((r) => r.id), [theirs.id]);
    assert.deepEqual(await BfJob.heartbeat("worker-2", 600_000), []);
    // Settled jobs drop out of the heartbeat.
    await BfJob.completeMany("worker-1", [mine[0].held, mine[1].held]);
    assert.deepEqual(await BfJob.heartbeat("worker-1", 600_000), [mine[2].id]);
    await assert.rejects(BfJob.heartbeat("worker-1", 0), RangeError);
    await assert.rejects(BfJob.heartbeat("worker-1", 1.5), RangeError);
  },
);

dbTest(
  "heartbeat with ids renews only those: a claim the worker never learned of lapses and is reaped",
  async () => {
    await BfJob.createMany(
      Array.from({ length: 2 }, (_, i) => ({ type: "t", payload: { i } })),
      TEST_CV,
    );
    const [known, orphan] = await BfJob.claimBatch("worker-1", {
      limit: 2,
      leaseMs: 1,
    });
    await waitForLeasesToExpire([known.id, orphan.id]);

    assert.deepEqual(await BfJob.heartbeat("worker-1", 600_000, [known.id]), [
      known.id,
    ]);
    const reaped = await BfJob.reapExpired();
    assert.deepEqual(reaped.map((r) => r.id), [orphan.id]);
    assert.equal((await BfJob.get(orphan.id))?.props.status, "available");
    assert.equal((await BfJob.get(known.id))?.props.status, "claimed");
    // An id the worker does not hold is not renewed or returned.
    assert.deepEqual(
      await BfJob.heartbeat("worker-2", 600_000, [known.id]),
      [],
    );
  },
);

dbTest(
  "attempts of started jobs: abandoned maxAttempts times, the job ends failed",
  async () => {
    const created = await BfJob.create(
      { type: "crashy", payload: {}, maxAttempts: 3 },
      TEST_CV,
    );
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await claimAndAbandon(`worker-${attempt}`);
      assert.equal(job.props.attempts, attempt, "counted when claimed");
      const [outcome] = await BfJob.reapExpired();
      assert.equal(outcome.id, created.id);
      assert.equal(outcome.status, attempt < 3 ? "available" : "failed");
      if (attempt < 3) await makeRunnableNow(created.id);
    }
    const props = await jobRow(created.id);
    assert.equal(props.status, "failed");
    assert.equal(props.attempts, 3);
    assert.match(
      props.error as string,
      /lease expired: worker worker-3 .*attempt 3/,
    );
    assert.equal(typeof props.finishedAt, "string");
    assert.equal("lockedUntil" in props, false);
    const errors = props.errors as {
      attempt: number;
      error: string;
      permanent: boolean;
    }[];
    assert.deepEqual(errors.map((e) => e.attempt), [1, 2, 3]);
    assert.deepEqual(errors.map((e) => e.permanent), [false, false, false]);
    assert.match(errors[0].error, /worker-1/);
    assert.match(errors[2].error, /worker-3/);
    assert.equal(await BfJob.claimNext("worker-4"), null);
    assert.deepEqual(await BfJob.reapExpired(), []);
  },
);

dbTest(
  "attempts of started jobs: a job with maxAttempts 1 fails on its first lost lease",
  async () => {
    const created = await BfJob.create(
      { type: "once", payload: {}, maxAttempts: 1 },
      TEST_CV,
    );
    await claimAndAbandon("worker-1");
    const [outcome] = await BfJob.reapExpired();
    assert.deepEqual(outcome, {
      id: created.id,
      type: "once",
      status: "failed",
      workerId: "worker-1",
      charged: true,
    });
  },
);

dbTest(
  "nothing lost: a worker process killed with SIGKILL holding jobs; they run again",
  async ({ url }) => {
    const created = await BfJob.createMany(
      Array.from({ length: 3 }, (_, i) => ({ type: "t", payload: { i } })),
      TEST_CV,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./testdata/claimWorker.ts", import.meta.url).pathname,
        url,
        "worker-doomed",
        "3",
        "hang",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let output = "";
    const nextLine = async (): Promise<Record<string, unknown>> => {
      while (!output.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error("claim worker exited early");
        output += value;
      }
      const newline = output.indexOf("\n");
      const line = output.slice(0, newline);
      output = output.slice(newline + 1);
      return JSON.parse(line);
    };
    try {
      assert.equal((await nextLine()).ready, true);
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
      const { claimed } = await nextLine() as { claimed: { id: string }[] };
      assert.deepEqual(
        new Set(claimed.map((job) => job.id)),
        new Set(created.map((job) => job.id)),
      );
      child.kill("SIGKILL");
      assert.equal((await child.status).signal, "SIGKILL");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // already dead
      }
      await lines.cancel();
    }
    // The dead worker's claims are committed; they come back once its lease runs out.
    assert.deepEqual(await BfJob.heartbeat("someone-else", 1_000), []);
    await waitForLeasesToExpire(created.map((job) => job.id));
    const reaped = await BfJob.reapExpired();
    assert.equal(reaped.length, 3);
    assert.ok(
      reaped.every((r) =>
        r.workerId === "worker-doomed" && r.status === "available" &&
        !r.charged
      ),
    );
    // Claimed but never started: back at once, their attempt refunded.
    const again = await BfJob.claimBatch("worker-survivor", { limit: 10 });
    assert.equal(again.length, 3);
    assert.ok(again.every((job) => job.props.attempts === 1));
    assert.deepEqual(
      new Set(
        await BfJob.completeMany(
          "worker-survivor",
          again.map((job) => job.held),
        ),
      ),
      new Set(created.map((job) => job.id)),
    );
  },
);
