// The registry of live workers, and what `jobStats` makes of it: the oldest-waiting figure
// counts only jobs some live worker serves; the rest are reported apart as unhandled.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { BfJob } from "../nodeTypes/BfJob.ts";
import { TEST_CV } from "../testing/jobRows.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { jobStats } from "./jobStats.ts";
import {
  liveWorkers,
  registerWorker,
  renewWorker,
  sweepDeadWorkers,
  unregisterWorker,
} from "./workerRegistry.ts";

const base = {
  host: "host-a",
  pid: 123,
  concurrency: 4,
  kinds: [{ queue: "default", type: "served" }],
};

dbTest(
  "registry: register, renew, expire, sweep and unregister",
  async () => {
    await registerWorker({ ...base, workerId: "w1", leaseMs: 60_000 });
    await registerWorker({ ...base, workerId: "w2", leaseMs: 60_000 });
    assert.equal(await renewWorker("w1", 60_000, 3), true);
    const live = await liveWorkers();
    assert.deepEqual(live.map((w) => w.workerId), ["w1", "w2"]);
    assert.equal(live[0].running, 3);
    assert.deepEqual(live[0].kinds, base.kinds);
    assert.equal(live[0].host, "host-a");

    // w2 stops renewing: once its entry expires it is no longer live, and an hour later swept.
    await bfDb.query(
      "UPDATE bfdb_workers SET expires_at = now() - interval '2 hours' WHERE worker_id = 'w2'",
    );
    assert.deepEqual((await liveWorkers()).map((w) => w.workerId), ["w1"]);
    assert.equal(await sweepDeadWorkers(), 1);
    assert.equal(await renewWorker("w2", 60_000, 0), false, "gone");

    await unregisterWorker("w1");
    assert.deepEqual(await liveWorkers(), []);
  },
);

dbTest(
  "jobStats: a type no live worker serves is reported apart and does not age the oldest-waiting figure",
  async () => {
    await BfJob.create({ type: "served", payload: {} }, TEST_CV);
    await BfJob.createMany([
      { type: "nobody", payload: {} },
      { type: "nobody", payload: {} },
    ], TEST_CV);
    await bfDb.query(
      "UPDATE bfdb_jobs_active SET run_at = now() - interval '1 hour' WHERE type = 'nobody'",
    );
    await bfDb.query(
      "UPDATE bfdb_jobs_active SET run_at = now() - interval '5 seconds' WHERE type = 'served'",
    );

    const none = await jobStats();
    assert.equal(none.liveWorkers, 0);
    assert.equal(
      none.oldestAvailableAgeSeconds,
      null,
      "nobody serves anything",
    );
    assert.deepEqual(none.unhandled.map((u) => u.type), ["nobody", "served"]);

    await registerWorker({ ...base, workerId: "w1", leaseMs: 60_000 });
    const stats = await jobStats();
    assert.equal(stats.liveWorkers, 1);
    assert.ok(
      stats.oldestAvailableAgeSeconds! >= 5 &&
        stats.oldestAvailableAgeSeconds! < 3_000,
      String(stats.oldestAvailableAgeSeconds),
    );
    assert.equal(stats.unhandled.length, 1);
    assert.equal(stats.unhandled[0].type, "nobody");
    assert.equal(stats.unhandled[0].queue, "default");
    assert.equal(stats.unhandled[0].available, 2);
    assert.ok(stats.unhandled[0].oldestAgeSeconds >= 3_600);
    assert.equal(stats.available, 3);
  },
);
