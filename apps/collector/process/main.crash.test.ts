// Nothing lost: a `bft worker` killed with SIGKILL in the middle of a job stops renewing its
// lease, and another worker reaps the job once the lease lapses and finishes it.
import assert from "node:assert/strict";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { ok, startFakePostHog } from "../testing/fakePostHog.ts";
import { jobRow } from "../../bfDb/testing/jobRows.ts";
import { Gate, waitFor } from "../../bfDb/testing/waitFor.ts";
import { startWorkerProcess } from "../testing/workerProcess.ts";

dbTest(
  "a job whose worker is SIGKILLed mid-flight is finished by another worker after its lease",
  async (db) => {
    // The first capture of "hang_me" never gets an answer: its worker is stuck mid-job.
    const never = new Gate();
    let hung = 0;
    await using posthog = startFakePostHog(async (capture) => {
      if (capture.event === "hang_me" && hung++ === 0) {
        await never.wait(capture.signal);
        return new Response("closed", { status: 503 });
      }
      return ok(capture);
    });
    const env = {
      POSTHOG_HOST: posthog.host,
      POSTHOG_API_KEY: "test",
      JOB_LEASE_MS: "2000",
    };
    await using doomed = await startWorkerProcess({
      databaseUrl: db.url,
      env,
      name: "doomed worker",
    });
    const job = await BfJob.create({
      type: "track_usage",
      payload: { event: { event: "hang_me", distinctId: "person_1" } },
    }, CurrentViewer.forOrg("org_crash", "person_producer"));
    await waitFor(
      () => posthog.captures.some((c) => c.uuid === job.id),
      "the doomed worker to be mid-job",
      { detail: () => doomed.tail() },
    );
    const during = await jobRow(job.id);
    assert.equal(during.status, "running");
    assert.equal(during.workerId, doomed.workerId);
    assert.equal(during.attempts, 1);

    await using rescuer = await startWorkerProcess({
      databaseUrl: db.url,
      env,
      name: "rescuer",
    });
    doomed.kill("SIGKILL");
    const killed = await doomed.waitForExit();
    assert.equal(killed.signal, "SIGKILL");

    let row = during;
    await waitFor(
      async () => (row = await jobRow(job.id)).status === "completed",
      "the rescuer to finish the job",
      { detail: () => `row: ${JSON.stringify(row)}\n${rescuer.tail()}` },
    );
    assert.equal(row.attempts, 2);
    assert.equal(row.workerId, rescuer.workerId);
    assert.match(
      row.errors?.[0]?.error ?? "",
      new RegExp(
        `lease expired: worker ${doomed.workerId} stopped renewing it`,
      ),
    );
    // Both attempts carried the same uuid, so PostHog can drop the duplicate.
    assert.equal(posthog.uuidCounts().get(job.id), 2);
    const reaped = await rescuer.waitForLog((l) =>
      l.msg === "reaped a job whose worker stopped renewing its lease" &&
      l.jobId === job.id
    );
    assert.equal(reaped.deadWorkerId, doomed.workerId);
    assert.equal(reaped.jobType, "track_usage");

    rescuer.kill("SIGTERM");
    assert.equal((await rescuer.waitForExit()).code, 0, rescuer.tail());
  },
);
