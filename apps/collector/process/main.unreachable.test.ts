// A database that does not answer, the way a blackholed host or a frozen server looks: the
// worker logs every failed try (where, why, when the next), and a signal ends the process
// within the grace period whatever the database is doing.
import assert from "node:assert/strict";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { Gate, waitFor } from "../../bfDb/testing/waitFor.ts";
import { ok, startFakePostHog } from "../testing/fakePostHog.ts";
import {
  startFreezableProxy,
  startSilentListener,
} from "../testing/silentDatabase.ts";
import { startWorkerProcess } from "../testing/workerProcess.ts";

const cv = CurrentViewer.forOrg("org_silent", "person_producer");

Deno.test("a database host that never answers: a log line per try naming it, and SIGTERM stops the wait at once", async () => {
  await using silent = startSilentListener();
  const databaseUrl =
    `postgres://postgres:secret@127.0.0.1:${silent.port}/jobs`;
  await using worker = await startWorkerProcess({
    databaseUrl,
    waitUntilReady: false,
    env: { DATABASE_CONNECT_TIMEOUT_MS: "300" },
  });
  const first = await worker.waitForLog("database not ready; retrying");
  assert.equal(first.database, `127.0.0.1:${silent.port}/jobs`);
  assert.equal(first.attempt, 1);
  assert.equal(typeof first.retryInMs, "number");
  assert.match(JSON.stringify(first.error), /CONNECT_TIMEOUT/);
  const second = await worker.waitForLog(
    (line) => line.msg === "database not ready; retrying" && line.attempt === 2,
  );
  assert.ok(Number(second.retryInMs) >= Number(first.retryInMs));
  assert.ok(!worker.tail().includes("secret"), "the password is never logged");
  // The next try is mid-connect or waiting to start; either way the signal ends it now.
  worker.kill("SIGTERM");
  const status = await worker.waitForExit(5_000);
  assert.equal(status.code, 0, worker.tail());
  assert.ok(silent.accepted >= 2);
});

dbTest(
  "a database that goes silent while jobs run: SIGTERM still ends the process after the grace period",
  async (db) => {
    const target = new URL(db.url);
    await using proxy = startFreezableProxy({
      hostname: target.hostname,
      port: Number(target.port || 5432),
    });
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const answers = new Gate();
    await using posthog = startFakePostHog(async (capture) => {
      await answers.wait(capture.signal);
      return ok(capture);
    });
    await using worker = await startWorkerProcess({
      databaseUrl: viaProxy.href,
      env: {
        POSTHOG_HOST: posthog.host,
        POSTHOG_API_KEY: "test",
        WORKER_CONCURRENCY: "2",
        WORKER_SHUTDOWN_GRACE_MS: "500",
      },
    });
    await BfJob.createMany(
      Array.from({ length: 4 }, (_, i) => ({
        type: "track_usage",
        payload: { event: { event: "silent", distinctId: `p${i}` } },
      })),
      cv,
    );
    await waitFor(() => posthog.inFlight === 2, "two captures in flight", {
      detail: () => worker.tail(),
    });
    proxy.freeze();
    answers.open();
    worker.kill("SIGTERM");
    const status = await worker.waitForExit(20_000);
    assert.equal(status.code, 143, worker.tail());
    assert.equal(
      worker.logsWith("stop did not finish in time: exiting").length,
      1,
      worker.tail(),
    );
  },
);
