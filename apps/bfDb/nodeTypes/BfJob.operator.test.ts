// Operator helpers (retry, retry all, cancel, prune, list, get), the memo's ops query, and
// hostile strings that must pass through untouched.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { JOB_CHANNEL } from "../jobs/jobStates.ts";
import { jobStats, queueDepth } from "../jobs/jobStats.ts";
import { PostgresBackend } from "../storage/PostgresBackend.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfJob } from "./BfJob.ts";
import {
  countJobs,
  findJobRow,
  jobRow,
  jobRowText,
  statusCounts,
  TEST_CV,
} from "../testing/jobRows.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { waitFor } from "../testing/waitFor.ts";

/** Creates a job of `type` and drives it to `failed` with a permanent error. */
async function failedJob(type: string): Promise<BfJob> {
  const created = await BfJob.create({ type, payload: { type } }, TEST_CV);
  const job = await BfJob.claimNext(`worker-${type}`, { types: [type] });
  assert.equal(job?.id, created.id);
  assert.equal(await job.fail("broken", { permanent: true }), "failed");
  return created;
}

dbTest(
  "retryFailed(id): a failed job becomes available with fresh attempts",
  async ({ url }) => {
    const listener = new PostgresBackend(url, { maxConnections: 1 });
    const heard: string[] = [];
    const unlisten = await listener.listen(JOB_CHANNEL, (p) => heard.push(p));
    try {
      const job = await failedJob("email");
      const waiting = await BfJob.create(
        { type: "email", payload: {} },
        TEST_CV,
      );
      assert.equal(await BfJob.retryFailed(job.id), true);
      const props = await jobRow(job.id);
      assert.equal(props.status, "available");
      assert.equal(props.attempts, 0);
      for (
        const gone of ["workerId", "lockedUntil", "finishedAt", "startedAt"]
      ) {
        assert.equal(gone in props, false, `${gone} cleared`);
      }
      assert.equal(
        props.error,
        "broken",
        "the last error stays for the record",
      );
      assert.equal((props.errors as unknown[]).length, 1);
      // Workers are woken.
      await waitFor(() => heard.includes(""), "the retry's NOTIFY");
      // Retrying something not failed does nothing.
      assert.equal(await BfJob.retryFailed(job.id), false);
      assert.equal(await BfJob.retryFailed(waiting.id), false);
      assert.equal(await BfJob.retryFailed("no-such-id"), false);
      const claimed = await BfJob.claimBatch("worker-9", { limit: 2 });
      assert.equal(claimed.length, 2);
      assert.ok(claimed.every((j) => j.props.attempts === 1));
    } finally {
      await unlisten();
      await listener.close();
    }
  },
);

dbTest(
  "retryAllFailed(type): retries failed jobs of that type, skipping cancelled ones",
  async () => {
    const emailA = await failedJob("email");
    const emailB = await failedJob("email");
    const sms = await failedJob("sms");
    const cancelled = await BfJob.create(
      { type: "email", payload: {} },
      TEST_CV,
    );
    assert.equal((await BfJob.cancel(cancelled.id, TEST_CV)).cancelled, true);
    const stillAvailable = await BfJob.create(
      { type: "email", payload: {} },
      TEST_CV,
    );

    const retried = await BfJob.retryAllFailed("email");
    assert.deepEqual(new Set(retried), new Set([emailA.id, emailB.id]));
    assert.equal((await jobRow(sms.id)).status, "failed");
    assert.equal((await jobRow(cancelled.id)).status, "cancelled");
    assert.equal((await jobRow(stillAvailable.id)).status, "available");
    assert.deepEqual(await BfJob.retryAllFailed("email"), []);

    // Without a type: every failed job except the cancelled one.
    assert.deepEqual(await BfJob.retryAllFailed(), [sms.id]);
    assert.equal((await jobRow(cancelled.id)).status, "cancelled");
    // By id an operator can still revive a cancelled job on purpose.
    assert.equal(await BfJob.retryFailed(cancelled.id), true);
    const revived = await jobRow(cancelled.id);
    assert.equal(revived.status, "available");
    assert.equal("cancelledAt" in revived, false);
  },
);

dbTest(
  "cancel: a waiting job is never claimed, a held one ends cancelled, a finished one is left alone",
  async () => {
    const target = await BfJob.create(
      { type: "t", payload: {}, priority: 10 },
      TEST_CV,
    );
    const other = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    assert.deepEqual(
      await BfJob.cancel(target.id, TEST_CV, "customer asked"),
      { cancelled: true, was: "available" },
    );
    const props = await jobRow(target.id);
    assert.equal(props.status, "cancelled");
    assert.equal(props.error, "customer asked");
    assert.equal(typeof props.cancelledAt, "string");
    assert.equal(typeof props.finishedAt, "string");
    assert.equal((await BfJob.claimNext("w"))?.id, other.id);
    assert.equal(await BfJob.claimNext("w"), null);
    assert.deepEqual(await BfJob.cancel(target.id, TEST_CV), {
      cancelled: false,
      status: "cancelled",
    });

    // Claimed: cancelled at once, with a note in its history; the holder's settle is refused.
    const claimed = (await BfJob.get(other.id))!;
    assert.deepEqual(await BfJob.cancel(other.id, TEST_CV), {
      cancelled: true,
      was: "claimed",
    });
    const cancelledRow = await jobRow(other.id);
    assert.equal(cancelledRow.status, "cancelled");
    assert.equal(cancelledRow.error, "cancelled by operator");
    const history = cancelledRow.errors as { cancelled?: boolean }[];
    assert.equal(history.at(-1)?.cancelled, true);
    assert.equal(await claimed.complete(), false, "the fence refuses it");
    assert.equal((await jobRow(other.id)).status, "cancelled");
    assert.deepEqual(await BfJob.retryAllFailed(), [], "never retried");

    // Finished: left alone, and the call says so.
    const done = await BfJob.create({ type: "done", payload: {} }, TEST_CV);
    const held = (await BfJob.claimNext("w", { types: ["done"] }))!;
    assert.equal(await held.complete(), true);
    assert.deepEqual(await BfJob.cancel(done.id, TEST_CV), {
      cancelled: false,
      status: "completed",
    });
    assert.equal((await jobRow(done.id)).status, "completed");

    // Unknown, or another org's: nothing to cancel.
    assert.deepEqual(await BfJob.cancel("no-such-id", TEST_CV), {
      cancelled: false,
      status: null,
    });
    const elsewhere = await BfJob.create(
      { type: "t", payload: {} },
      CurrentViewer.forOrg("org_elsewhere"),
    );
    assert.deepEqual(await BfJob.cancel(elsewhere.id, TEST_CV), {
      cancelled: false,
      status: null,
    });
    assert.equal((await jobRow(elsewhere.id)).status, "available");
    const dflt = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    assert.equal((await BfJob.cancel(dflt.id, TEST_CV)).cancelled, true);
    assert.equal((await jobRow(dflt.id)).error, "cancelled by operator");
  },
);

dbTest(
  "cancelJobs by type: 10,000 waiting jobs in one statement; --status available spares held ones",
  async () => {
    await BfJob.createMany(
      Array.from(
        { length: 10_000 },
        (_, i) => ({ type: "bulk", payload: { i } }),
      ),
      TEST_CV,
    );
    const keep = await BfJob.create({ type: "other", payload: {} }, TEST_CV);
    const held = await BfJob.claimBatch("w-bulk", {
      types: ["bulk"],
      limit: 3,
    });
    const waitingOnly = await BfJob.cancelJobs({
      type: "bulk",
      statuses: ["available"],
    }, "bulk stop");
    assert.equal(waitingOnly.length, 9_997);
    assert.ok(waitingOnly.every((c) => c.was === "available" && !c.workerId));
    assert.deepEqual(await statusCounts(), {
      cancelled: 9_997,
      claimed: 3,
      available: 1,
    });
    const rest = await BfJob.cancelJobs({ type: "bulk" });
    assert.deepEqual(
      rest.map((c) => c.id).sort(),
      held.map((j) => j.id).sort(),
    );
    assert.ok(
      rest.every((c) => c.was === "claimed" && c.workerId === "w-bulk"),
    );
    assert.equal((await jobRow(keep.id)).status, "available");
    assert.equal((await statusCounts()).cancelled, 10_000);
  },
);

dbTest(
  "pruneCompleted: deletes only completed jobs finished before the cutoff",
  async () => {
    const jobs = await BfJob.createMany(
      Array.from({ length: 8 }, (_, i) => ({ type: "t", payload: { i } })),
      TEST_CV,
    );
    const claimed = await BfJob.claimBatch("w", { limit: 8 });
    // 0-3 complete, 4-5 fail for good, 6 stays running, 7 stays claimed.
    const byI = (i: number) =>
      claimed.find((j) => (j.props.payload as { i: number }).i === i)!;
    await BfJob.completeMany("w", [0, 1, 2, 3].map((i) => byI(i).held));
    await BfJob.failMany(
      "w",
      [4, 5].map((i) => ({
        ...byI(i).held,
        error: "x",
        retryDelayMs: 0,
        permanent: true,
      })),
    );
    await byI(6).start();
    // Jobs 0, 1 and 4, 5 finished two days ago; 2 and 3 one minute ago.
    const age = async (i: number, interval: string) =>
      await bfDb.query(
        `UPDATE bfdb SET props = props || jsonb_build_object(
         'finishedAt', bfdb_iso(now() - $2::interval))
       WHERE bf_gid = $1`,
        [byI(i).id, interval],
      );
    for (const i of [0, 1, 4, 5]) await age(i, "2 days");
    for (const i of [2, 3]) await age(i, "1 minute");
    await bfDb.query(
      `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
     VALUES ('other-class', 'o', 'o', 'Report',
             '{"status": "completed", "finishedAt": "2000-01-01T00:00:00.000Z"}', 0)`,
    );

    assert.equal(await BfJob.pruneCompleted(24 * 3600 * 1000), 2);
    const remaining = new Set(
      (await bfDb.query<{ bf_gid: string }>("SELECT bf_gid FROM bfdb")).map((
        r,
      ) => r.bf_gid),
    );
    assert.equal(remaining.has(byI(0).id), false);
    assert.equal(remaining.has(byI(1).id), false);
    for (const i of [2, 3, 4, 5, 6, 7]) {
      assert.ok(remaining.has(byI(i).id), `job ${i} kept`);
    }
    assert.ok(remaining.has("other-class"), "other classes are never pruned");
    assert.equal(remaining.size, jobs.length - 2 + 1);
    assert.equal(await BfJob.pruneCompleted(24 * 3600 * 1000), 0);
    await assert.rejects(BfJob.pruneCompleted(-1), RangeError);
    // Cutoff zero: every completed job (finished before now) goes.
    assert.equal(await BfJob.pruneCompleted(0), 2);
    assert.equal(await countJobs("completed"), 0);
  },
);

dbTest("list and get: operator views across orgs", async () => {
  const a = await BfJob.create({ type: "a", payload: { n: 1 } }, TEST_CV);
  const { CurrentViewer } = await import("../CurrentViewer.ts");
  const b = await BfJob.create(
    { type: "b", payload: { n: 2 } },
    CurrentViewer.forOrg("another_org"),
  );
  const failed = await failedJob("c");
  assert.equal((await BfJob.get(b.id))?.cv.orgId, "another_org");
  assert.equal(await BfJob.get("nope"), null);
  assert.deepEqual(
    new Set((await BfJob.list()).map((j) => j.id)),
    new Set([a.id, b.id, failed.id]),
  );
  assert.deepEqual((await BfJob.list({ status: "failed" })).map((j) => j.id), [
    failed.id,
  ]);
  assert.deepEqual((await BfJob.list({ type: "b" })).map((j) => j.id), [b.id]);
  assert.equal((await BfJob.list({ limit: 1 })).length, 1);
  await assert.rejects(
    BfJob.list({ status: "bogus" as "failed" }),
    TypeError,
  );
});

dbTest("the memo's ops query works verbatim and counts by status", async () => {
  // 2 available, 1 claimed, 1 running, 3 completed, 2 failed, plus other classes.
  await BfJob.createMany(
    Array.from({ length: 9 }, (_, i) => ({ type: "t", payload: { i } })),
    TEST_CV,
  );
  const claimed = await BfJob.claimBatch("w", { limit: 7 });
  await BfJob.completeMany("w", claimed.slice(0, 3).map((j) => j.held));
  await BfJob.failMany(
    "w",
    claimed.slice(3, 5).map((j) => ({
      ...j.held,
      error: "x",
      retryDelayMs: 0,
      permanent: true,
    })),
  );
  await claimed[5].start();
  await bfDb.query(
    `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
     SELECT 'other-' || g, 'o', 'o', 'Invoice', jsonb_build_object('status', 'completed'), g
     FROM generate_series(1, 5) g`,
  );
  const rows = await bfDb.query<Record<string, unknown>>(
    "SELECT props->>'status', COUNT(*) FROM bfDb WHERE class_name = 'BfJob' GROUP BY 1",
  );
  const counts = Object.fromEntries(
    rows.map((row) => {
      const [status, count] = Object.values(row);
      return [status, Number(count)];
    }),
  );
  assert.deepEqual(counts, {
    available: 2,
    claimed: 1,
    running: 1,
    completed: 3,
    failed: 2,
  });
  // jobStats and queueDepth agree.
  const stats = await jobStats();
  assert.equal(stats.available, 2);
  assert.equal(stats.failed, 2);
  assert.equal(stats.inFlight, 2);
  // No live worker serves `t` here, so its waiting jobs are reported apart.
  assert.equal(stats.oldestAvailableAgeSeconds, null);
  assert.deepEqual(
    stats.unhandled.map((u) => [u.queue, u.type, u.available]),
    [["default", "t", 2]],
  );
  assert.deepEqual(await queueDepth(), { t: 2 });
});

/** Strings that break naive SQL, JSON, shells or renderers. */
const HOSTILE = [
  "'; DROP TABLE bfdb; --",
  `Robert'); DELETE FROM bfdb WHERE ('1'='1`,
  '" OR "1"="1',
  "$1",
  "$2::text[]",
  "$$; SELECT pg_sleep(1); $$",
  "\\",
  "\\u0000 (an escaped NUL, literally)",
  "back`tick ${x}",
  "line\nbreak\r\ttab",
  "unicode: ñ 日本語 עברית 🎉👩‍👩‍👧 \u2028\u2029 \ufeff",
  "%_ LIKE wildcards",
  "props->>'status'",
  "?| ? ?&",
];

dbTest(
  "hostile strings as workerId, type and payload are stored and returned unchanged",
  async () => {
    const payload = {
      values: HOSTILE,
      keys: Object.fromEntries(HOSTILE.map((s, i) => [s, i])),
      nested: { "'": { '"': { "$1": HOSTILE[0] } } },
    };
    for (const [i, hostile] of HOSTILE.entries()) {
      const created = await BfJob.create({ type: hostile, payload }, TEST_CV);
      assert.equal(created.props.type, hostile);
      assert.deepEqual(created.props.payload, payload);
      // Claimed by a hostile worker id, filtered by a hostile type.
      const workerId = HOSTILE[(i + 1) % HOSTILE.length];
      const job = await BfJob.claimNext(workerId, { types: [hostile] });
      assert.equal(job?.id, created.id, `claim ${JSON.stringify(hostile)}`);
      assert.equal(job.props.type, hostile);
      assert.equal(job.props.workerId, workerId);
      assert.deepEqual(job.props.payload, payload);
      const stored = await jobRow(created.id);
      assert.equal(stored.type, hostile);
      assert.equal(stored.workerId, workerId);
      assert.deepEqual(stored.payload, payload);
      assert.deepEqual(await BfJob.heartbeat(workerId, 60_000), [created.id]);
      // A hostile error message and cancel reason too.
      if (i % 2 === 0) {
        assert.equal(await job.fail(hostile, { permanent: true }), "failed");
        assert.equal((await jobRow(created.id)).error, hostile);
      } else {
        assert.equal(await job.complete(), true);
      }
      assert.deepEqual((await BfJob.list({ type: hostile })).map((j) => j.id), [
        created.id,
      ]);
    }
    const cancelMe = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    assert.equal(
      (await BfJob.cancel(cancelMe.id, TEST_CV, HOSTILE[0])).cancelled,
      true,
    );
    assert.equal((await findJobRow(cancelMe.id))?.error, HOSTILE[0]);
    assert.equal((await BfJob.retryAllFailed(HOSTILE[0])).length, 1);

    // The table and its indexes are intact.
    assert.equal(await countJobs(), HOSTILE.length + 1);
    const [{ n }] = await bfDb.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_indexes
     WHERE tablename = 'bfdb_jobs_active' AND indexname IN ('bfdb_jobs_available', 'bfdb_jobs_in_flight')`,
    );
    assert.equal(Number(n), 2);
  },
);

dbTest(
  "save() on a job is refused and writes nothing; delete() removes only finished jobs",
  async () => {
    const job = await BfJob.create(
      { type: "fenced", payload: { n: 1 } },
      TEST_CV,
    );
    const before = await jobRowText(job.id);
    job.props.status = "completed";
    job.props.attempts = 99;
    await assert.rejects(job.save(), /changes only through its transitions/);
    assert.equal(await jobRowText(job.id), before);

    assert.equal(await job.delete(), false, "a waiting job is not deleted");
    assert.notEqual(await findJobRow(job.id), null);
    const claimed = await BfJob.claimNext("w-del");
    assert.ok(claimed && await claimed.complete());
    const finished = await BfJob.findX(TEST_CV, job.id);
    assert.equal(await finished.delete(), true);
    assert.equal(await findJobRow(job.id), null);
  },
);
