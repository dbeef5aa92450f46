// Three real `bft worker` processes share one database and drain it: every job completes once,
// and PostHog (a local fake) sees every job's uuid exactly once.
import assert from "node:assert/strict";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { startFakePostHog } from "../testing/fakePostHog.ts";
import { allJobRows } from "../../bfDb/testing/jobRows.ts";
import { waitFor } from "../../bfDb/testing/waitFor.ts";
import {
  startWorkerProcess,
  type WorkerProcess,
} from "../testing/workerProcess.ts";

const JOBS = 300;

/** The value of `bfjobs_completed_total{type="…"}` on a worker's /metrics. */
async function completedMetric(
  worker: WorkerProcess,
  type: string,
): Promise<number> {
  const text = await (await fetch(worker.url("/metrics"))).text();
  const match = text.match(
    new RegExp(`^bfjobs_completed_total\\{type="${type}"\\} (\\d+)$`, "m"),
  );
  return match ? Number(match[1]) : 0;
}

dbTest(
  "three worker processes drain 300 track_usage jobs, running each exactly once",
  async (db) => {
    await using posthog = startFakePostHog();
    const env = {
      POSTHOG_HOST: posthog.host,
      POSTHOG_API_KEY: "test",
      JOB_LEASE_MS: "10000",
    };
    const [a, b, c] = await Promise.all(
      ["worker a", "worker b", "worker c"].map((name) =>
        startWorkerProcess({ databaseUrl: db.url, env, name })
      ),
    );
    await using _a = a;
    await using _b = b;
    await using _c = c;
    const workers = [a, b, c];

    const jobs = await BfJob.createMany(
      Array.from({ length: JOBS }, (_, i) => ({
        type: "track_usage",
        payload: { event: { event: "song_played", distinctId: `person_${i}` } },
      })),
      CurrentViewer.forOrg("org_drain", "person_producer"),
    );
    const ids = new Set(jobs.map((job) => job.id));

    let rows = await allJobRows();
    const completed = () =>
      [...ids].filter((id) => rows.get(id)?.status === "completed").length;
    await waitFor(
      async () => {
        rows = await allJobRows();
        return completed() === JOBS;
      },
      `all ${JOBS} jobs to complete`,
      {
        detail: () =>
          `${completed()} completed; ${posthog.captures.length} captures\n` +
          workers.map((w) => w.tail(5)).join("\n"),
      },
    );

    for (const id of ids) assert.equal(rows.get(id)!.attempts, 1, id);
    const counts = posthog.uuidCounts();
    assert.deepEqual(new Set(counts.keys()), ids);
    assert.deepEqual(
      [...counts].filter(([, n]) => n !== 1),
      [],
      "uuids captured more than once",
    );

    // The workers' own counters agree: together they completed each job once.
    // (Each counts a completion once its write is answered, so allow it a moment.)
    let perWorker: number[] = [];
    await waitFor(
      async () => {
        perWorker = await Promise.all(
          workers.map((w) => completedMetric(w, "track_usage")),
        );
        return perWorker.reduce((x, y) => x + y, 0) >= JOBS;
      },
      "the workers' completed counters to add up",
      { detail: () => JSON.stringify(perWorker) },
    );
    assert.equal(perWorker.reduce((x, y) => x + y, 0), JOBS);

    // One JSON object a line, each with the core keys; every line naming a job names its type.
    for (const w of workers) {
      assert.deepEqual(w.otherStdout, [], w.name);
      for (const line of w.logs) {
        for (const key of ["level", "ts", "msg", "service", "environment"]) {
          assert.ok(
            key in line,
            `${w.name}: no ${key} in ${JSON.stringify(line)}`,
          );
        }
        if ("jobId" in line) {
          assert.equal(typeof line.jobType, "string", JSON.stringify(line));
        }
      }
      const completedLines = w.logsWith("job completed");
      assert.ok(completedLines.every((l) => typeof l.jobId === "string"));
    }

    for (const w of workers) w.kill("SIGTERM");
    for (const w of workers) {
      assert.equal((await w.waitForExit()).code, 0, w.tail());
    }
  },
);
