// /health and /metrics on a real `bft worker` (HEALTH_CHECK_PORT=0: the port comes from its log).
import assert from "node:assert/strict";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { startFakePostHog } from "../testing/fakePostHog.ts";
import { jobRow } from "../../bfDb/testing/jobRows.ts";
import { waitFor } from "../../bfDb/testing/waitFor.ts";
import { startWorkerProcess } from "../testing/workerProcess.ts";

/** A Prometheus text-format sample line: name, optional labels, value. */
const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/;

dbTest(
  "/health answers healthy JSON and /metrics Prometheus text with job counters",
  async (db) => {
    await using posthog = startFakePostHog();
    await using worker = await startWorkerProcess({
      databaseUrl: db.url,
      env: {
        POSTHOG_HOST: posthog.host,
        POSTHOG_API_KEY: "test",
        DENO_ENV: "staging",
      },
    });
    const listening = worker.logsWith("health server listening")[0];
    assert.ok(Number.isInteger(listening.port) && worker.port > 0);

    const health = await fetch(worker.url("/health"));
    assert.equal(health.status, 200);
    assert.match(health.headers.get("content-type") ?? "", /application\/json/);
    const body = await health.json();
    assert.deepEqual(Object.keys(body).sort(), [
      "environment",
      "service",
      "status",
      "timestamp",
    ]);
    assert.equal(body.status, "healthy");
    assert.equal(body.service, "collector");
    assert.equal(body.environment, "staging");
    assert.ok(!Number.isNaN(Date.parse(body.timestamp)), body.timestamp);

    const job = await BfJob.create({
      type: "track_usage",
      payload: { event: { event: "metrics_test", distinctId: "person_1" } },
    }, CurrentViewer.forOrg("org_http", "person_producer"));
    // A job that cannot run here (no handler) stays in the queue and shows in its depth.
    await BfJob.create(
      { type: "no_such_handler", payload: {} },
      CurrentViewer.system(),
    );
    await waitFor(
      async () => (await jobRow(job.id)).status === "completed",
      "the job to complete",
      { detail: () => worker.tail() },
    );

    let text = "";
    await waitFor(
      async () => {
        const response = await fetch(worker.url("/metrics"));
        assert.equal(response.status, 200);
        assert.match(
          response.headers.get("content-type") ?? "",
          /^text\/plain/,
        );
        text = await response.text();
        return text.includes('bfjobs_completed_total{type="track_usage"} 1');
      },
      "/metrics to count the completed job",
      { detail: () => text },
    );
    for (
      const line of [
        "# TYPE bfjobs_completed_total counter",
        "# TYPE bfjobs_failed_total counter",
        "# TYPE bfjobs_retried_total counter",
        "# TYPE bfjobs_running gauge",
        "# TYPE bfjobs_claim_duration_seconds histogram",
        "# TYPE bfjobs_queue_depth gauge",
        'bfjobs_queue_depth{type="no_such_handler"} 1',
        "# TYPE bfjobs_queue_waiting gauge",
        'bfjobs_queue_waiting{queue="default"} 1',
        'bfjobs_queue_in_flight{queue="default"} 0',
        'bfjobs_queue_limited{queue="default"} 0',
        "# TYPE bfjobs_claims_held_back_total counter",
      ]
    ) {
      assert.ok(text.split("\n").includes(line), `missing ${line}\n${text}`);
    }
    // (The hourly cleanup job may be running at scrape time, so only the form is checked.)
    assert.match(text, /^bfjobs_running \d+$/m);
    assert.match(text, /^bfjobs_claim_duration_seconds_count [1-9]\d*$/m);
    for (const line of text.trimEnd().split("\n")) {
      if (!line.startsWith("#")) assert.match(line, SAMPLE);
    }

    const missing = await fetch(worker.url("/nope"));
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    // Operator routes exist only for the embedded database; here they are not served.
    const ops = await fetch(worker.url("/ops/status"));
    assert.equal(ops.status, 404);
    await ops.body?.cancel();

    worker.kill("SIGINT");
    assert.equal((await worker.waitForExit()).code, 0, worker.tail());
  },
);
