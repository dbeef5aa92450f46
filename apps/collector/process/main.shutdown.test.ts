// SIGTERM on a real `bft worker` with jobs in flight: it stops claiming, lets them finish, exits
// 0 and leaves nothing claimed or running. A second signal a while later exits at once; a
// terminal's Ctrl-C under `deno task start`, delivered twice, is one request.
import assert from "node:assert/strict";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { ok, startFakePostHog } from "../testing/fakePostHog.ts";
import { allJobRows } from "../../bfDb/testing/jobRows.ts";
import { Gate, waitFor } from "../../bfDb/testing/waitFor.ts";
import {
  startWorkerProcess,
  type WorkerProcess,
} from "../testing/workerProcess.ts";
import { REPEAT_WINDOW_MS } from "./shutdownSignals.ts";

const cv = CurrentViewer.forOrg("org_shutdown", "person_producer");

function slowEvents(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    type: "track_usage",
    payload: { event: { event: "slow", distinctId: `person_${i}` } },
  }));
}

/**
 * A worker at concurrency 2 with five slow captures queued: two in flight, held until `stop`
 * was asked for and the worker logged that it is stopping. It must let the two finish, claim
 * nothing more, hand the rest back uncharged and exit 0.
 */
async function stopsGracefully(
  db: { url: string },
  options: { viaDenoTask?: boolean },
  askToStop: (worker: WorkerProcess) => void,
): Promise<WorkerProcess> {
  const answers = new Gate();
  await using posthog = startFakePostHog(async (capture) => {
    await answers.wait(capture.signal);
    return ok(capture);
  });
  const worker = await startWorkerProcess({
    databaseUrl: db.url,
    viaDenoTask: options.viaDenoTask,
    env: {
      POSTHOG_HOST: posthog.host,
      POSTHOG_API_KEY: "test",
      WORKER_CONCURRENCY: "2",
    },
  });
  try {
    const jobs = await BfJob.createMany(slowEvents(5), cv);
    await waitFor(() => posthog.inFlight === 2, "two captures in flight", {
      detail: () => worker.tail(),
    });

    askToStop(worker);
    await worker.waitForLog("worker stopping");
    answers.open();
    const status = await worker.waitForExit();
    assert.equal(status.code, 0, worker.tail());
    assert.equal(worker.logsWith("second signal: exiting at once").length, 0);
    assert.equal(worker.logsWith("worker exited cleanly").length, 1);

    const rows = await allJobRows();
    const mine = jobs.map((job) => rows.get(job.id)!);
    const completed = mine.filter((r) => r.status === "completed");
    const available = mine.filter((r) => r.status === "available");
    assert.equal(completed.length, 2, JSON.stringify(mine));
    assert.equal(available.length, 3, JSON.stringify(mine));
    for (const row of available) {
      assert.equal(row.attempts, 0, "a job handed back is not charged");
    }
    assert.deepEqual(
      [...rows.values()].filter((r) =>
        r.status === "claimed" || r.status === "running"
      ),
      [],
    );
    assert.equal(posthog.captures.length, 2);
    return worker;
  } catch (error) {
    await worker[Symbol.asyncDispose]();
    throw error;
  }
}

dbTest(
  "SIGTERM with jobs in flight lets them finish, claims nothing more, and exits 0",
  async (db) => {
    await using _ = await stopsGracefully(db, {}, (w) => w.kill("SIGTERM"));
  },
);

dbTest(
  "Ctrl-C under `deno task start` (SIGINT to the group, forwarded again by deno task) stops gracefully",
  async (db) => {
    await using _ = await stopsGracefully(
      db,
      { viaDenoTask: true },
      (w) => w.interruptGroup(),
    );
  },
);

dbTest(
  "a second signal exits at once, leaving the running jobs to be reaped",
  async (db) => {
    const answers = new Gate();
    await using posthog = startFakePostHog(async (capture) => {
      await answers.wait(capture.signal);
      return ok(capture);
    });
    await using worker = await startWorkerProcess({
      databaseUrl: db.url,
      env: { POSTHOG_HOST: posthog.host, POSTHOG_API_KEY: "test" },
    });
    const [job] = await BfJob.createMany(slowEvents(1), cv);
    await waitFor(() => posthog.inFlight === 1, "the capture to be in flight");
    worker.kill("SIGTERM");
    await worker.waitForLog("worker stopping");
    // A repeat within REPEAT_WINDOW_MS is the same request delivered twice; this one is later.
    await new Promise((resolve) => setTimeout(resolve, REPEAT_WINDOW_MS + 200));
    worker.kill("SIGTERM");
    const status = await worker.waitForExit();
    assert.equal(status.code, 143, worker.tail());
    assert.equal(worker.logsWith("second signal: exiting at once").length, 1);
    // Still held by the gone worker; its lease (and then the reaper) decides.
    const row = (await allJobRows()).get(job.id)!;
    assert.equal(row.status, "running");
    answers.open();
  },
);
