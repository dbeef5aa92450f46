// The dashboard end to end: a real `bft worker` serving it, real headless Chromium clicking
// through it, and SQL checking what each click did. Screenshots of every page land in
// screenshots/ (git-ignored).
import assert from "node:assert/strict";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { jobRow } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { waitFor } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import { launchChromium } from "../../testing/chromium.ts";
import { startFakePostHog } from "../../testing/fakePostHog.ts";
import { startWorkerProcess } from "../../testing/workerProcess.ts";

const CV = CurrentViewer.forOrg("org_dashboard", "person_ops");

/** A job in a queue no worker here serves, failed as a worker would fail it. */
async function parkedFailedJob(): Promise<string> {
  const job = await BfJob.create({
    type: "process_new_record",
    payload: { record_id: "missing" },
    queue: "parked",
  }, CV);
  const [held] = await BfJob.claimBatch("w-earlier", { queues: ["parked"] });
  await BfJob.failMany("w-earlier", [{
    id: held.id,
    attempt: held.props.attempts,
    error: "record missing was deleted before it was processed",
    permanent: true,
  }]);
  return job.id;
}

dbTest(
  "in Chromium: filter to failed jobs, open one and retry it; cancel a running job; pause and resume a queue",
  async (db) => {
    // PostHog that never answers, so a track_usage job keeps running until it is cancelled.
    await using posthog = startFakePostHog(async (capture) => {
      await new Promise((resolve) =>
        capture.signal.addEventListener("abort", resolve, { once: true })
      );
      return Response.json({ status: 1 });
    });
    await using worker = await startWorkerProcess({
      databaseUrl: db.url,
      env: {
        POSTHOG_HOST: posthog.host,
        POSTHOG_API_KEY: "test",
        WORKER_QUEUES: "default,bulk",
      },
    });
    await using chromium = await launchChromium();
    const page = await chromium.browser.newPage({
      viewport: { width: 1280, height: 900 },
    });
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });

    // 1. Overview -> failed jobs -> the job -> retry.
    const failedId = await parkedFailedJob();
    await BfJob.createMany(
      Array.from({ length: 5 }, () => ({
        type: "cleanup_auth_tokens",
        payload: {},
      })),
      CV,
    );
    await page.goto(worker.url("/"));
    assert.equal(new URL(page.url()).pathname, "/dashboard");
    await page.waitForSelector("text=Queues and types");
    assert.equal(await page.textContent(".card.alarm .value"), "1");
    await chromium.screenshot(page, "overview");

    await page.click("nav >> text=Jobs");
    await page.selectOption('select[name="status"]', "failed");
    await page.click('button:has-text("Filter")');
    await page.waitForURL(/status=failed/);
    const listed = await page.$$eval(
      "tr[data-job]",
      (rows) => rows.map((r) => r.getAttribute("data-job")),
    );
    assert.deepEqual(listed, [failedId]);
    await chromium.screenshot(page, "jobs-failed");

    await page.click(`tr[data-job="${failedId}"] a`);
    await page.waitForSelector("text=Attempts and errors");
    assert.match(
      await page.textContent("dl.fields") ?? "",
      /record missing was deleted/,
    );
    await chromium.screenshot(page, "job");
    await page.click('button[data-action="retry"]');
    await page.waitForSelector(".notice");
    assert.match(
      await page.textContent(".notice") ?? "",
      /waiting to run again/,
    );
    assert.match(dialogs.at(-1) ?? "", /^Retry job /);
    const retried = await jobRow(failedId);
    assert.equal(retried.status, "available");
    assert.equal(retried.attempts, 0);

    // 2. A running job, cancelled from its page.
    const running = await BfJob.create({
      type: "track_usage",
      payload: { event: { event: "signup", distinctId: "p1" } },
    }, CV);
    await waitFor(
      async () => (await jobRow(running.id)).status === "running",
      "the track_usage job to be running",
      { detail: () => worker.tail() },
    );
    await page.goto(worker.url(`/dashboard/jobs/${running.id}`));
    await page.click('button[data-action="cancel"]');
    await page.waitForSelector(".notice");
    assert.equal((await jobRow(running.id)).status, "cancelled");
    assert.match(await page.textContent("h1") ?? "", /cancelled/);
    await chromium.screenshot(page, "job-cancelled");
    await worker.waitForLog((line) =>
      line.msg === "dashboard action" && line.action === "cancel"
    );

    // 3. Pause a queue: the worker leaves its jobs; resume: it runs them.
    await BfJob.create({
      type: "cleanup_auth_tokens",
      payload: {},
      queue: "bulk",
      runAt: new Date(Date.now() + 3_600_000).toISOString(),
    }, CV);
    await page.goto(worker.url("/dashboard/queues"));
    await page.click('tr[data-queue="bulk"] button[data-action="pause-queue"]');
    await page.waitForSelector(".notice");
    const [{ paused }] = await bfDb.query<{ paused: boolean }>(
      "SELECT paused FROM bfdb_job_queues WHERE queue = 'bulk'",
    );
    assert.equal(paused, true);
    await chromium.screenshot(page, "queues-paused");
    const bulk = await BfJob.createMany(
      Array.from({ length: 10 }, () => ({
        type: "cleanup_auth_tokens",
        payload: {},
        queue: "bulk",
      })),
      CV,
    );
    // A later job of another queue completes: the worker is claiming, just not from "bulk".
    const probe = await BfJob.create(
      { type: "cleanup_auth_tokens", payload: {} },
      CV,
    );
    await waitFor(
      async () => (await jobRow(probe.id)).status === "completed",
      "the probe job in the default queue to complete",
      { detail: () => worker.tail() },
    );
    for (const job of bulk) {
      assert.equal((await jobRow(job.id)).status, "available", job.id);
    }
    await page.click(
      'tr[data-queue="bulk"] button[data-action="resume-queue"]',
    );
    await page.waitForSelector(".notice");
    await waitFor(
      async () => {
        for (const job of bulk) {
          if ((await jobRow(job.id)).status !== "completed") return false;
        }
        return true;
      },
      "the bulk queue's jobs to complete after resume",
      { detail: () => worker.tail() },
    );

    await page.goto(worker.url("/dashboard/schedules"));
    await page.waitForSelector("text=cleanup-auth-tokens");
    await chromium.screenshot(page, "schedules");
    await page.goto(worker.url("/dashboard"));
    await chromium.screenshot(page, "overview-after");

    const audit = worker.logsWith("dashboard action").map((l) => l.action);
    assert.deepEqual(audit, [
      "retry",
      "cancel",
      "pause-queue",
      "resume-queue",
    ]);
  },
);
