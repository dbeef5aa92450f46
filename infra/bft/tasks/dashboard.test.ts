// `bft dashboard`: the dashboard served standalone against DATABASE_URL, and what it says on
// the embedded database (the dashboard is the worker's there).
import assert from "node:assert/strict";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { TEST_CV } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import {
  BFT_LAUNCHER,
  childEnv,
  REPO_ROOT,
  runBft,
} from "@bfmono/apps/collector/testing/workerProcess.ts";
import { DEFAULT_WAIT_MS } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import { JsonLineProcess } from "@bfmono/packages/childProcess/jsonLineProcess.ts";

dbTest(
  "bft dashboard serves the dashboard against DATABASE_URL until SIGTERM",
  async (db) => {
    const job = await BfJob.create(
      { type: "cleanup_auth_tokens", payload: {} },
      TEST_CV,
    );
    await using dashboard = new JsonLineProcess({
      command: BFT_LAUNCHER,
      args: ["dashboard", "--port", "0"],
      label: "bft dashboard",
      cwd: REPO_ROOT,
      clearEnv: true,
      env: childEnv({ DATABASE_URL: db.url }),
    });
    const listening = await dashboard.waitForLine(
      (line) => line.msg === "dashboard listening",
      { timeoutMs: DEFAULT_WAIT_MS, what: "bft dashboard to listen" },
    );
    const base = `http://127.0.0.1:${listening.port}`;
    const overview = await fetch(`${base}/`);
    assert.equal(overview.status, 200);
    assert.equal(new URL(overview.url).pathname, "/dashboard");
    assert.match(await overview.text(), /Queues and types/);
    const jobs = await fetch(`${base}/dashboard/jobs`);
    assert.match(await jobs.text(), new RegExp(`data-job="${job.id}"`));
    // Only the dashboard: no /ops/ routes and no /health here.
    assert.equal((await fetch(`${base}/ops/status`)).status, 404);
    dashboard.kill("SIGTERM");
    assert.equal((await dashboard.waitForExit(15_000)).code, 0);
  },
);

Deno.test("bft dashboard on the embedded database points at the worker, and refuses a bad port", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "bft-dashboard-" });
  try {
    const alone = await runBft(["dashboard"], { BFDB_DATA_DIR: dataDir });
    assert.equal(alone.code, 1, alone.stderr);
    assert.match(alone.stderr, /the dashboard is the worker's; start it/);
    const bad = await runBft(["dashboard", "--port", "http"], {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--port/);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
