// Queue settings (issue 14): pause, global concurrency and rate limits, checked under the
// queue's lock by every claim of it; a queue with settings is never claimed around them.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import {
  listQueueSettings,
  queueOverview,
  setQueueSettings,
} from "../jobs/queueSettings.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { TEST_CV, waitForLeasesToExpire } from "../testing/jobRows.ts";
import { BfJob } from "./BfJob.ts";

async function enqueue(queue: string, n: number): Promise<void> {
  await BfJob.createMany(
    Array.from({ length: n }, (_, i) => ({ type: "t", payload: { i }, queue })),
    TEST_CV,
  );
}

dbTest(
  "queue settings: stored, changed field by field, gone when back to none; bad values refused",
  async () => {
    assert.deepEqual(await listQueueSettings(), []);
    assert.deepEqual(
      await setQueueSettings("emails", { globalConcurrency: 3 }),
      {
        queue: "emails",
        paused: false,
        globalConcurrency: 3,
        rateLimit: null,
        fairByOrg: false,
      },
    );
    await setQueueSettings("emails", {
      rateLimit: { count: 100, periodMs: 60_000 },
    });
    await setQueueSettings("emails", { paused: true });
    assert.deepEqual(await listQueueSettings(), [{
      queue: "emails",
      paused: true,
      globalConcurrency: 3,
      rateLimit: { count: 100, periodMs: 60_000 },
      fairByOrg: false,
    }]);
    await setQueueSettings("emails", {
      paused: false,
      globalConcurrency: null,
      rateLimit: null,
    });
    assert.deepEqual(await listQueueSettings(), [], "no settings, no row");
    for (
      const [name, patch] of [
        ["", {}],
        [" padded", {}],
        ["q", { globalConcurrency: -1 }],
        ["q", { globalConcurrency: 1.5 }],
        ["q", { rateLimit: { count: 0, periodMs: 1000 } }],
        ["q", { rateLimit: { count: 5, periodMs: 0 } }],
        ["q", { paused: "yes" }],
        ["q", { fairByOrg: "on" }],
      ] as const
    ) {
      await assert.rejects(
        setQueueSettings(name, patch as never),
        (e: Error) => e instanceof TypeError || e instanceof RangeError,
      );
    }
    assert.deepEqual(await listQueueSettings(), []);
    await enqueue("emails", 2);
    assert.deepEqual(await queueOverview(), [{
      queue: "emails",
      paused: false,
      globalConcurrency: null,
      rateLimit: null,
      fairByOrg: false,
      waiting: 2,
      running: 0,
    }]);
  },
);

dbTest(
  "a queue with settings is never claimed by the plain claim, only within its limits",
  async () => {
    await enqueue("limited", 10);
    await setQueueSettings("limited", { globalConcurrency: 3 });
    assert.deepEqual(
      await BfJob.claimBatch("w-plain", {
        queues: ["limited"],
        types: ["t"],
        limit: 10,
      }),
      [],
      "the plain claim sees the settings in the same statement",
    );
    const first = await BfJob.claimManaged("w1", "limited", ["t"], {
      limit: 10,
    });
    assert.equal(first.jobs.length, 3);
    assert.equal(first.heldBackBy, "concurrency");
    assert.ok(first.jobs.every((j) => j.props.status === "running"));
    const none = await BfJob.claimManaged("w2", "limited", ["t"], {
      limit: 10,
    });
    assert.equal(none.jobs.length, 0);
    assert.equal(none.heldBackBy, "concurrency");
    // A completed job and a failed attempt each free their slot.
    assert.equal(await first.jobs[0].complete(), true);
    assert.equal(
      await first.jobs[1].fail(new Error("x"), { retryDelayMs: 60_000 }),
      "available",
    );
    const freed = await BfJob.claimManaged("w2", "limited", ["t"], {
      limit: 10,
    });
    assert.equal(freed.jobs.length, 2);
    // Paused: nothing; resumed: as before.
    await setQueueSettings("limited", { paused: true });
    assert.equal(
      (await BfJob.claimManaged("w3", "limited", ["t"], { limit: 10 }))
        .heldBackBy,
      "paused",
    );
    await setQueueSettings("limited", {
      paused: false,
      globalConcurrency: null,
    });
    assert.deepEqual(await listQueueSettings(), []);
    assert.equal(
      (await BfJob.claimBatch("w-plain", {
        queues: ["limited"],
        types: ["t"],
        limit: 10,
      })).length,
      5,
      "without settings the plain claim takes the rest (one waits out its retry delay)",
    );
  },
);

dbTest(
  "rate limit: at most count starts in any window, counted at the claim's start instant",
  async () => {
    await enqueue("rated", 20);
    await setQueueSettings("rated", {
      rateLimit: { count: 5, periodMs: 60_000 },
    });
    const first = await BfJob.claimManaged("w1", "rated", ["t"], { limit: 3 });
    assert.equal(first.jobs.length, 3);
    assert.equal(first.heldBackBy, null);
    const second = await BfJob.claimManaged("w2", "rated", ["t"], {
      limit: 10,
    });
    assert.equal(second.jobs.length, 2);
    assert.equal(second.heldBackBy, "rate");
    for (const job of [...first.jobs, ...second.jobs]) {
      assert.equal(await job.complete(), true);
    }
    assert.equal(
      (await BfJob.claimManaged("w3", "rated", ["t"], { limit: 10 })).jobs
        .length,
      0,
      "completions do not refill the window",
    );
    // The window slides: move the recorded starts back past it.
    await bfDb.query(
      `UPDATE bfdb_job_queues SET recent_starts = ARRAY(
       SELECT t - interval '61 seconds' FROM unnest(recent_starts) t)`,
    );
    assert.equal(
      (await BfJob.claimManaged("w3", "rated", ["t"], { limit: 10 })).jobs
        .length,
      5,
    );
    const [{ n }] = await bfDb.query<{ n: number }>(
      "SELECT cardinality(recent_starts) AS n FROM bfdb_job_queues WHERE queue = 'rated'",
    );
    assert.equal(Number(n), 5, "only the window's starts are kept");
  },
);

dbTest(
  "a job whose worker died frees its slot once the reaper has it",
  async () => {
    await enqueue("limited", 5);
    await setQueueSettings("limited", { globalConcurrency: 2 });
    const held = await BfJob.claimManaged("w-dead", "limited", ["t"], {
      limit: 5,
      leaseMs: 50,
    });
    assert.equal(held.jobs.length, 2);
    assert.equal(
      (await BfJob.claimManaged("w2", "limited", ["t"], { limit: 5 })).jobs
        .length,
      0,
    );
    await waitForLeasesToExpire(held.jobs.map((j) => j.id));
    assert.equal((await BfJob.reapExpired()).length, 2);
    assert.equal(
      (await BfJob.claimManaged("w2", "limited", ["t"], { limit: 5 })).jobs
        .length,
      2,
    );
  },
);
