// Fair share between orgs through a running worker (issue 14): org A's backlog of 50,000 jobs,
// then org B's 100. With fairByOrg on, B's jobs run in turns with A's and all complete long
// before A's 5,000th; off, the queue runs in priority-then-age order, so B waits behind A.
import assert from "node:assert/strict";
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { setQueueSettings } from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { waitFor } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import { startTestWorker } from "../testing/testWorker.ts";
import { defineHandler } from "./handler.ts";

async function enqueueFor(org: string, n: number): Promise<void> {
  const cv = CurrentViewer.forOrg(org);
  for (let done = 0; done < n; done += 5_000) {
    await BfJob.createMany(
      Array.from({ length: Math.min(5_000, n - done) }, (_, i) => ({
        type: "tenant_work",
        payload: { i: done + i },
        queue: "tenants",
      })),
      cv,
    );
  }
}

/** A handler that records, in the order handlers finish, which org each job was for. */
function recordingHandler(finished: string[]) {
  return defineHandler({
    type: "tenant_work",
    schema: z.object({ i: z.number() }),
    process(_payload, ctx) {
      finished.push(ctx.cv.orgId);
      return Promise.resolve();
    },
  });
}

async function completedOf(org: string): Promise<number> {
  const [{ n }] = await bfDb.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bfdb
     WHERE class_name = 'BfJob' AND bf_oid = $1 AND props->>'status' = 'completed'`,
    [org],
  );
  return n;
}

dbTest(
  "fairByOrg on: org B's 100 jobs all complete before org A's 5,000th, behind A's 50,000",
  async () => {
    await enqueueFor("org_a", 50_000);
    await enqueueFor("org_b", 100);
    await setQueueSettings("tenants", { fairByOrg: true });
    const finished: string[] = [];
    await using _worker = await startTestWorker({
      handlers: [recordingHandler(finished)],
      config: { concurrency: 10, queues: ["tenants"] },
    });
    let aCompletedWhenBDone = -1;
    await waitFor(async () => {
      const a = await completedOf("org_a");
      if (await completedOf("org_b") < 100) return false;
      aCompletedWhenBDone = a;
      return true;
    }, "org B's 100 jobs to complete");
    const lastB = finished.lastIndexOf("org_b") + 1;
    console.log(
      `fair: B's 100th finished as job ${lastB} of the queue; org A had at most ${aCompletedWhenBDone} completed then`,
    );
    assert.ok(lastB <= 5_000, `B's last job finished ${lastB}th`);
    assert.ok(
      aCompletedWhenBDone < 5_000,
      `A had ${aCompletedWhenBDone} completed when B's last completed`,
    );
  },
);

dbTest(
  "fairByOrg off: the queue runs priority then age, so org B's jobs wait behind org A's",
  async () => {
    await enqueueFor("org_a", 2_000);
    await enqueueFor("org_b", 100);
    const finished: string[] = [];
    await using _worker = await startTestWorker({
      handlers: [recordingHandler(finished)],
      config: { concurrency: 10, queues: ["tenants"] },
    });
    await waitFor(
      async () => await completedOf("org_b") === 100,
      "every job to complete",
    );
    const firstB = finished.indexOf("org_b") + 1;
    console.log(`unfair: B's first job finished as job ${firstB} of the queue`);
    // Jobs run ten at a time, so a handler may finish a little out of claim order.
    assert.ok(firstB > 2_000 - 10, `B's first job finished ${firstB}th`);
  },
);
