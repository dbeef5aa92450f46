// Real `bft worker` processes and a producer reach the database only through PgBouncer 1.18 in
// transaction mode (a private one the test starts): jobs are enqueued, drained, retried, reaped
// after a SIGKILLed worker's lease and finished on SIGTERM; without a LISTEN connection every
// job is found by polling, and with DATABASE_LISTEN_URL the wake-up comes through LISTEN.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { BfDbBackend } from "@bfmono/apps/bfDb/storage/BfDbBackend.ts";
import { PostgresBackend } from "@bfmono/apps/bfDb/storage/PostgresBackend.ts";
import { startPgBouncer } from "@bfmono/apps/bfDb/testing/pgbouncer.ts";
import {
  dbTest,
  type TestDatabase,
} from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { allJobRows, type JobRow } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { Gate, waitFor } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import { POLL_INTERVAL_WITHOUT_LISTEN_MS } from "../worker/loopConfig.ts";
import { type Capture, ok, startFakePostHog } from "../testing/fakePostHog.ts";
import {
  startWorkerProcess,
  type WorkerProcess,
} from "../testing/workerProcess.ts";

const CV = CurrentViewer.forOrg("org_pooler", "person_producer");

/** `n` track_usage jobs through the pooled producer; their ids. */
async function enqueue(n: number, tag: string): Promise<string[]> {
  const jobs = await BfJob.createMany(
    Array.from({ length: n }, (_, i) => ({
      type: "track_usage",
      payload: { event: { event: tag, distinctId: `person_${i}` } },
    })),
    CV,
  );
  return jobs.map((job) => job.id);
}

/** Waits until every job of `ids` is completed; returns their rows. */
async function completed(
  ids: readonly string[],
  what: string,
  workers: readonly WorkerProcess[],
): Promise<Map<string, JobRow>> {
  let rows = new Map<string, JobRow>();
  const done = () => ids.filter((id) => rows.get(id)?.status === "completed");
  await waitFor(
    async () => {
      rows = await allJobRows();
      return done().length === ids.length;
    },
    what,
    {
      detail: () =>
        `${done().length}/${ids.length} completed\n` +
        workers.map((w) => w.tail(8)).join("\n"),
    },
  );
  return rows;
}

/**
 * Runs `fn` with the test database reached through a private PgBouncer in transaction mode:
 * bfDb (the producer) uses a pooled backend for the duration.
 */
async function throughPooler(
  db: TestDatabase,
  fn: (pooledUrl: string) => Promise<void>,
): Promise<void> {
  await using bouncer = await startPgBouncer();
  const pooled: BfDbBackend = new PostgresBackend(bouncer.urlFor(db.url), {
    pooler: "transaction",
    maxConnections: 4,
  });
  bfDb.use(pooled);
  try {
    await fn(bouncer.urlFor(db.url));
  } finally {
    bfDb.use(db.backend);
    await pooled.close();
  }
}

/** No worker logged a failed database call (what a pooler breaking a statement looks like). */
function assertNoDatabaseErrors(workers: readonly WorkerProcess[]): void {
  for (const w of workers) {
    assert.deepEqual(
      w.logsWith("database call failed; retrying"),
      [],
      `${w.name}\n${w.tail()}`,
    );
  }
}

dbTest(
  "through PgBouncer (transaction mode, no LISTEN): enqueue, drain, retry, reap and SIGTERM",
  (db) =>
    throughPooler(db, async (pooledUrl) => {
      const flaky = new Set<string>();
      const failedOnce = new Set<string>();
      const held = new Set<string>();
      const release = new Gate();
      let slowMs = 0;
      await using posthog = startFakePostHog(async (capture: Capture) => {
        if (flaky.has(capture.uuid) && !failedOnce.has(capture.uuid)) {
          failedOnce.add(capture.uuid);
          return new Response("try later", { status: 503 });
        }
        if (held.has(capture.uuid)) await release.wait(capture.signal);
        if (slowMs > 0) await sleep(slowMs);
        return ok(capture);
      });
      const env = {
        DATABASE_POOLER: "transaction",
        POSTHOG_HOST: posthog.host,
        POSTHOG_API_KEY: "test",
        JOB_LEASE_MS: "2000",
      };
      const start = (name: string) =>
        startWorkerProcess({ databaseUrl: pooledUrl, env, name });
      await using a = await start("worker a");
      await using b = await start("worker b");
      for (const w of [a, b]) {
        const started = w.logsWith("worker started")[0];
        assert.equal(started.wakeUps, "poll", w.name);
        assert.equal(started.pollIntervalMs, POLL_INTERVAL_WITHOUT_LISTEN_MS);
        assert.equal(w.logsWith("database ready")[0].listen, "none: polling");
      }

      // Enqueue and drain; one job in ten fails its first attempt (503) and is retried.
      const ids = await enqueue(200, "drained");
      for (const id of ids.slice(0, 20)) flaky.add(id);
      let rows = await completed(ids, "200 jobs to complete", [a, b]);
      for (const id of ids) {
        assert.equal(rows.get(id)!.attempts, flaky.has(id) ? 2 : 1, id);
      }
      assert.equal(failedOnce.size, 20);

      // Graceful stop: worker b gets SIGTERM while it runs jobs; they finish, it exits 0.
      slowMs = 500;
      const slow = await enqueue(20, "slow");
      await waitFor(async () => {
        rows = await allJobRows();
        return slow.some((id) =>
          rows.get(id)?.status === "running" &&
          rows.get(id)?.workerId === b.workerId
        );
      }, "worker b to run one of the slow jobs");
      b.kill("SIGTERM");
      assert.equal((await b.waitForExit()).code, 0, b.tail());
      rows = await completed(slow, "the slow jobs to complete", [a]);
      for (const id of slow) assert.equal(rows.get(id)!.attempts, 1, id);
      slowMs = 0;

      // Lease expiry: worker a is SIGKILLed holding jobs; worker c's reaper returns them.
      const stuck = await enqueue(5, "stuck");
      for (const id of stuck) held.add(id);
      await waitFor(
        () => stuck.every((id) => posthog.count(id) === 1),
        "worker a to start every stuck job",
        { detail: () => a.tail() },
      );
      a.kill("SIGKILL");
      await a.waitForExit();
      release.open();
      await using c = await start("worker c");
      rows = await completed(stuck, "the stuck jobs to be reaped and run", [c]);
      for (const id of stuck) {
        const row = rows.get(id)!;
        assert.equal(row.attempts, 2, id);
        assert.match(JSON.stringify(row.errors), /lease expired/, id);
      }
      assert.ok(
        c.logsWith("reaped a job whose worker stopped renewing its lease")
          .length >= stuck.length,
        c.tail(),
      );

      c.kill("SIGTERM");
      assert.equal((await c.waitForExit()).code, 0, c.tail());
      assertNoDatabaseErrors([b, c]);
      const [{ n }] = await bfDb.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM bfdb_jobs_active`,
      );
      assert.equal(n, 0, "nothing left waiting or held");
    }),
);

dbTest(
  "through PgBouncer with DATABASE_LISTEN_URL: a new job wakes the worker through LISTEN",
  (db) =>
    throughPooler(db, async (pooledUrl) => {
      await using posthog = startFakePostHog();
      await using worker = await startWorkerProcess({
        databaseUrl: pooledUrl,
        env: {
          DATABASE_POOLER: "transaction",
          DATABASE_LISTEN_URL: db.url,
          POSTHOG_HOST: posthog.host,
          POSTHOG_API_KEY: "test",
          // Ten minutes: a job found within this test was not found by the poll.
          WORKER_POLL_INTERVAL_MS: "600000",
        },
      });
      const started = worker.logsWith("worker started")[0];
      assert.equal(started.wakeUps, "listen");
      assert.equal(started.pollIntervalMs, 600_000);
      // The first job may still meet the worker's first claim; the second can only be seen
      // through the notice its insert sends (through the pooler) to the direct LISTEN.
      for (const tag of ["first", "second"]) {
        const ids = await enqueue(1, tag);
        await completed(ids, `the ${tag} job to complete`, [worker]);
      }
      assert.equal(posthog.distinct, 2);
      worker.kill("SIGTERM");
      assert.equal((await worker.waitForExit()).code, 0, worker.tail());
      assertNoDatabaseErrors([worker]);
    }),
);
