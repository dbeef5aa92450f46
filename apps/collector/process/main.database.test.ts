// A real `bft worker` and a database that goes away: /health turns 503 while it is unreachable,
// the process keeps running, and it resumes (NOTIFY wake-ups included) once the database is back;
// killed connections (pg_terminate_backend) while jobs flow lose no job.
import assert from "node:assert/strict";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { PostgresBackend } from "@bfmono/apps/bfDb/storage/PostgresBackend.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import {
  allowConnections,
  refuseConnections,
  type ServerAdmin,
  serverAdmin,
  terminateBackends,
} from "@bfmono/apps/bfDb/testing/serverAdmin.ts";
import { ok, startFakePostHog } from "../testing/fakePostHog.ts";
import { allJobRows, jobRow } from "../../bfDb/testing/jobRows.ts";
import { Gate, waitFor } from "../../bfDb/testing/waitFor.ts";
import {
  startWorkerProcess,
  type WorkerProcess,
} from "../testing/workerProcess.ts";

const cv = CurrentViewer.forOrg("org_outage", "person_producer");
const APP_NAME = "bftest_worker_under_test";

/** Terminates the backends of `database` opened by the worker under test; returns how many. */
function killWorkerConnections(
  sql: ServerAdmin,
  database: string,
): Promise<number> {
  return terminateBackends(sql, database, APP_NAME);
}

/**
 * Waits until the worker's LISTEN connection is back. It resubscribes on its own, with a
 * backoff of its own that can lag the pool; a job created in that gap is found when the LISTEN
 * is back (the worker claims then), which these tests check separately.
 */
async function waitForListen(
  sql: ServerAdmin,
  database: string,
  worker: WorkerProcess,
): Promise<void> {
  await waitFor(
    async () => {
      const rows = await sql`
      SELECT 1 FROM pg_stat_activity
      WHERE datname = ${database} AND application_name = ${APP_NAME}
        AND state = 'idle' AND query ILIKE 'listen %'`;
      return rows.length > 0;
    },
    "the worker to LISTEN again",
    {
      detail: async () => {
        const rows = await sql`
        SELECT pid, state, left(query, 80) AS query FROM pg_stat_activity
        WHERE datname = ${database}`;
        return `connections: ${JSON.stringify(rows)}\n${worker.tail()}`;
      },
    },
  );
}

async function health(worker: WorkerProcess) {
  let response: Response;
  try {
    response = await fetch(worker.url("/health"));
  } catch (error) {
    // Refused: the worker is gone; what it printed says why.
    throw new Error(
      `/health unreachable (worker exit: ${
        JSON.stringify(worker.exit)
      })\n${worker.tail()}`,
      { cause: error },
    );
  }
  return { status: response.status, body: await response.json() };
}

function withAppName(url: string): string {
  const u = new URL(url);
  u.searchParams.set("application_name", APP_NAME);
  return u.toString();
}

dbTest(
  "/health answers 503 while the database refuses connections; the worker lives on and resumes",
  async (db) => {
    await using posthog = startFakePostHog();
    await using sql = serverAdmin();
    // One connection opened before the outage, which the test keeps: it creates a job while the
    // worker cannot connect.
    const producer = new PostgresBackend(db.url, { maxConnections: 1 });
    await producer.query("SELECT 1");
    bfDb.use(producer);
    await using worker = await startWorkerProcess({
      databaseUrl: withAppName(db.url),
      env: {
        POSTHOG_HOST: posthog.host,
        POSTHOG_API_KEY: "test",
        JOB_LEASE_MS: "2000",
        // Polling all but off: after the outage only a restored LISTEN wakes the worker in time.
        WORKER_POLL_INTERVAL_MS: "600000",
      },
    });
    try {
      assert.equal((await health(worker)).status, 200);

      let duringOutage: BfJob;
      try {
        // Every connection of the worker goes, and none can come back.
        await refuseConnections(sql, db.name, APP_NAME);
        let last: unknown;
        await waitFor(
          async () => {
            const answer = await health(worker);
            last = answer;
            return answer.status === 503;
          },
          "/health to answer 503",
          { detail: () => JSON.stringify(last) },
        );
        const down = await health(worker);
        assert.equal(down.body.status, "unhealthy");
        assert.deepEqual(Object.keys(down.body).sort(), [
          "environment",
          "service",
          "status",
          "timestamp",
        ]);
        await worker.waitForLog("database call failed; retrying");
        assert.equal(worker.exit, undefined, worker.tail());
        // Its notice goes to nobody: the worker is not listening now.
        duringOutage = await BfJob.create({
          type: "track_usage",
          payload: { event: { event: "during_outage", distinctId: "p_0" } },
        }, cv);
      } finally {
        await allowConnections(sql, db.name);
      }

      await waitFor(
        async () => (await health(worker)).status === 200,
        "/health to answer 200 again",
        { detail: () => worker.tail() },
      );
      await worker.waitForLog("database reachable again");
      // Found when the LISTEN is back, not at the next poll ten minutes on.
      let row = await jobRow(duringOutage.id);
      await waitFor(
        async () =>
          (row = await jobRow(duringOutage.id)).status === "completed",
        "the job created during the outage to complete",
        { detail: () => `row: ${JSON.stringify(row)}\n${worker.tail()}` },
      );
      await waitForListen(sql, db.name, worker);
      const job = await BfJob.create({
        type: "track_usage",
        payload: { event: { event: "after_outage", distinctId: "person_1" } },
      }, cv);
      await waitFor(
        async () => (row = await jobRow(job.id)).status === "completed",
        "a job created after the outage to complete",
        { detail: () => `row: ${JSON.stringify(row)}\n${worker.tail()}` },
      );
      assert.equal(worker.exit, undefined);
      worker.kill("SIGTERM");
      assert.equal((await worker.waitForExit()).code, 0, worker.tail());
    } finally {
      bfDb.use(db.backend);
      await producer.close();
    }
  },
);

dbTest(
  "connections killed with pg_terminate_backend while jobs run: every job completes, the worker stays up",
  async (db) => {
    // Captures wait at the current valve, so the test can kill connections while jobs are mid-run.
    let valve = { gate: new Gate(), waiting: 0 };
    await using posthog = startFakePostHog(async (capture) => {
      const at = valve;
      at.waiting++;
      await at.gate.wait(capture.signal);
      return ok(capture);
    });
    await using sql = serverAdmin();
    await using worker = await startWorkerProcess({
      databaseUrl: withAppName(db.url),
      env: {
        POSTHOG_HOST: posthog.host,
        POSTHOG_API_KEY: "test",
        JOB_LEASE_MS: "2000",
        WORKER_CONCURRENCY: "10",
        WORKER_POLL_INTERVAL_MS: "600000",
      },
    });
    const jobs = await BfJob.createMany(
      Array.from({ length: 60 }, (_, i) => ({
        type: "track_usage",
        payload: { event: { event: "flowing", distinctId: `person_${i}` } },
      })),
      cv,
    );
    for (let round = 1; round <= 3; round++) {
      await waitFor(
        () => valve.waiting === 10,
        `round ${round}: ten jobs in flight`,
        {
          detail: () => `${valve.waiting} waiting\n${worker.tail()}`,
        },
      );
      // The ten may have started from jobs claimed ahead before the worker reconnected after
      // the last round's kill (a pool reconnects on its next query, the LISTEN connection after
      // a backoff): wait for a connection to kill, while the ten stay held mid-run.
      await waitFor(
        async () => (await killWorkerConnections(sql, db.name)) > 0,
        `round ${round}: a worker connection to kill`,
        { detail: () => worker.tail() },
      );
      const open = valve;
      valve = { gate: new Gate(), waiting: 0 };
      open.gate.open();
    }
    valve.gate.open();

    const ids = new Set(jobs.map((j) => j.id));
    let rows = await allJobRows();
    const done = () =>
      [...ids].filter((id) => rows.get(id)?.status === "completed").length;
    await waitFor(
      async () => {
        rows = await allJobRows();
        return done() === ids.size;
      },
      "every job to complete",
      {
        detail: () => `${done()}/${ids.size} completed\n${worker.tail()}`,
      },
    );
    // With the queue drained and polling all but off, only a NOTIFY can wake the worker now:
    // its LISTEN connection came back too.
    await waitForListen(sql, db.name, worker);
    const late = await BfJob.create({
      type: "track_usage",
      payload: { event: { event: "late", distinctId: "person_late" } },
    }, cv);
    ids.add(late.id);
    let lateRow = await jobRow(late.id);
    await waitFor(
      async () => (lateRow = await jobRow(late.id)).status === "completed",
      "a job created after the kills to complete",
      { detail: () => `row: ${JSON.stringify(lateRow)}\n${worker.tail()}` },
    );
    // At least once: every job reached PostHog, none was lost.
    const counts = posthog.uuidCounts();
    for (const id of ids) assert.ok(counts.has(id), id);
    assert.equal(worker.exit, undefined, worker.tail());
    worker.kill("SIGTERM");
    assert.equal((await worker.waitForExit()).code, 0, worker.tail());
  },
);
