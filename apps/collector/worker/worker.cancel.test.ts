// Cancelling jobs a worker process holds (issue 13): the worker is told at once (LISTEN/NOTIFY)
// and aborts the handler's signal with a reason that says cancelled; a handler that ignores its
// signal still leaves the job cancelled, never completed and never retried.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { jobRow, TEST_CV } from "../../bfDb/testing/jobRows.ts";
import { sleep, waitFor } from "../../bfDb/testing/waitFor.ts";
import { startWorkerProcess } from "../testing/workerProcess.ts";

const SEMANTICS_WORKER = fileURLToPath(
  new URL("../testdata/semanticsWorker.ts", import.meta.url),
);

/** Lease 60 s: the heartbeat (every 20 s) is not what finds the cancellation. */
const LONG_LEASE_MS = 60_000;

dbTest(
  "cancelling a running job: its worker process aborts the handler's signal, saying cancelled",
  async (db) => {
    await using worker = await startSemanticsWorker(db.url);
    const job = await BfJob.create(
      { type: "wait_signal", payload: {} },
      TEST_CV,
    );
    // Running, with its first progress value written.
    const running = await waitForRow(
      job.id,
      (row) =>
        row.status === "running" &&
        JSON.stringify(row.progress) === '{"phase":"waiting"}',
    );
    assert.equal(running.attempts, 1);
    assert.deepEqual(
      await BfJob.cancel(job.id, TEST_CV, "customer closed the account"),
      { cancelled: true, was: "running" },
    );
    // Told by the notification, not found later by the heartbeat.
    const seen = await worker.waitForLog("job cancelled; aborting its handler");
    assert.equal(seen.via, "notification");
    const saw = await worker.waitForLog("handler saw abort");
    assert.equal(saw.jobId, job.id);
    assert.equal(saw.reason, "cancelled: customer closed the account");
    await worker.waitForLog("running job cancelled; its handler was aborted");
    const row = await jobRow(job.id);
    assert.equal(row.status, "cancelled");
    assert.equal(row.error, "customer closed the account");
    assert.deepEqual(row.progress, { phase: "waiting" });
    assert.equal(row.attempts, 1);
  },
);

dbTest(
  "a handler that ignores its signal: the job stays cancelled, its late completion refused, never retried",
  async (db) => {
    await using worker = await startSemanticsWorker(db.url);
    const job = await BfJob.create(
      { type: "ignore_signal", payload: { ms: 1_500 }, maxAttempts: 5 },
      TEST_CV,
    );
    await waitForRow(job.id, (row) => row.status === "running");
    const [cancelled] = await BfJob.cancelJobs({ type: "ignore_signal" });
    assert.equal(cancelled.id, job.id);
    assert.equal(cancelled.was, "running");
    assert.equal(cancelled.workerId, worker.workerId);
    await worker.waitForLog("running job cancelled; its handler was aborted");
    // The handler runs on regardless and returns a result: refused by the fence.
    await worker.waitForLog("handler finished anyway");
    await sleep(500);
    const row = await jobRow(job.id);
    assert.equal(row.status, "cancelled");
    assert.equal(row.result, undefined, "the late result was not stored");
    assert.equal(row.attempts, 1);
    assert.deepEqual(await BfJob.retryAllFailed("ignore_signal"), []);
    assert.equal((await jobRow(job.id)).status, "cancelled");
  },
);

/** The semantics worker process, on a lease the heartbeat renews only every 20 s. */
function startSemanticsWorker(databaseUrl: string) {
  return startWorkerProcess({
    databaseUrl,
    script: SEMANTICS_WORKER,
    readyMessage: "semantics worker ready",
    name: "semantics worker",
    env: { JOB_LEASE_MS: String(LONG_LEASE_MS) },
  });
}

/** Polls the job's row until `check` holds; returns it. */
async function waitForRow(
  id: string,
  check: (row: Awaited<ReturnType<typeof jobRow>>) => boolean,
): Promise<Awaited<ReturnType<typeof jobRow>>> {
  let row: Awaited<ReturnType<typeof jobRow>> | undefined;
  await waitFor(async () => check(row = await jobRow(id)), `job ${id}`, {
    detail: () => JSON.stringify(row),
  });
  return row!;
}
