// A real `bft worker` refuses bad configuration before touching anything: exit 2 and one line
// on stderr naming the variable and what it expects. A health port already taken is refused
// the same way, before the worker claims a job.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import {
  dbTest,
  TEST_SERVER_URL,
} from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { jobRow } from "../../bfDb/testing/jobRows.ts";
import { startWorkerProcess } from "../testing/workerProcess.ts";
import {
  ConfigError,
  DEFAULT_DATABASE_POOL_SIZE,
  loadConfig,
} from "./config.ts";

const BAD_SCHEDULE_WORKER = fileURLToPath(
  new URL("../testdata/badScheduleWorker.ts", import.meta.url),
);

const CASES: [string, string, RegExp][] = [
  ["WORKER_CONCURRENCY", "abc", /a whole number from 1 to 1000; got "abc"/],
  ["HEALTH_CHECK_PORT", "70000", /a whole number from 0 to 65535/],
  ["DATABASE_URL", "mysql://x", /a URL starting with postgres: or postgresql:/],
  ["JOB_TIMEOUT_MS", "-1", /a whole number from 1 to /],
  ["JOB_LEASE_MS", "999", /a whole number from 1000 to /],
  ["DENO_ENV", "prod", /one of development, test, staging, production/],
  // A hostile value stays on the one line: it is quoted, newline escaped.
  ["WORKER_CONCURRENCY", "10\nFAKE LOG LINE", /got "10\\nFAKE LOG LINE"/],
  ["POSTHOG_API_KEY", "phc_no_host", /POSTHOG_HOST must be set when/],
  ["WORKER_QUEUES", "default=0", /each optionally =N slots \(1-1000\)/],
  ["WORKER_QUEUES", "default=x", /each optionally =N slots/],
  ["WORKER_QUEUES", "default,,emails", /a comma-separated list of queue names/],
  ["WORKER_QUEUES", "emails,emails", /each named once/],
  ["DATABASE_POOL_SIZE", "1", /a whole number from 2 to 100; got "1"/],
  ["DATABASE_POOLER", "pgbouncer", /one of none, transaction; got "pgbouncer"/],
  [
    "DATABASE_LISTEN_URL",
    "http://db:5432/x",
    /a URL starting with postgres: or postgresql:/,
  ],
];

Deno.test("bad configuration exits 2 with one line naming the variable", async (t) => {
  // A database URL no one should reach: configuration is checked before any connection.
  const unreachable = new URL(TEST_SERVER_URL);
  unreachable.pathname = "/bftest_never_created";
  const results = await Promise.all(CASES.map(async ([variable, value]) => {
    await using worker = await startWorkerProcess({
      databaseUrl: unreachable.toString(),
      env: { [variable]: value },
      waitUntilReady: false,
      name: `${variable}=${value}`,
    });
    const status = await worker.waitForExit();
    return { status, stderr: worker.stderr, logs: worker.logs };
  }));
  for (const [i, [variable, value, expected]] of CASES.entries()) {
    await t.step(`${variable}=${JSON.stringify(value)}`, () => {
      const { status, stderr, logs } = results[i];
      assert.equal(status.code, 2, stderr);
      const lines = stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, stderr);
      const named = variable === "POSTHOG_API_KEY" ? "POSTHOG_HOST" : variable;
      assert.match(lines[0], new RegExp(`\\b${named} must be `));
      assert.match(lines[0], expected);
      assert.deepEqual(logs, []);
    });
  }
});

Deno.test("a pooler or a LISTEN URL without DATABASE_URL is refused, naming the variable", () => {
  for (
    const [variable, value] of [
      ["DATABASE_POOLER", "transaction"],
      ["DATABASE_LISTEN_URL", "postgres://db:5432/app"],
    ]
  ) {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (error) =>
        error instanceof ConfigError && error.variable === variable &&
        /without DATABASE_URL/.test(error.message),
    );
  }
  // Unset, the worker polls at its own default (shorter where it cannot LISTEN).
  const config = loadConfig({
    DATABASE_URL: "postgres://pooler:6432/app",
    DATABASE_POOLER: "transaction",
    DATABASE_LISTEN_URL: "postgres://db:5432/app",
  });
  assert.equal(config.pooler, "transaction");
  assert.equal(config.listenUrl, "postgres://db:5432/app");
  assert.equal(config.pollIntervalMs, undefined);
  assert.equal(config.poolSize, DEFAULT_DATABASE_POOL_SIZE);
});

Deno.test("a schedule with a bad cron expression or time zone: exit 2, one line naming it", async () => {
  const unreachable = new URL(TEST_SERVER_URL);
  unreachable.pathname = "/bftest_never_created";
  for (
    const [env, expected] of [
      [{ BAD_CRON: "61 * * * *" }, /BfJobSchedule\.cron: .*minute/],
      [
        { BAD_TIMEZONE: "Mars/Base" },
        /BfJobSchedule\.timezone: unknown time zone "Mars\/Base"/,
      ],
    ] as const
  ) {
    await using worker = await startWorkerProcess({
      databaseUrl: unreachable.toString(),
      script: BAD_SCHEDULE_WORKER,
      env: { ...env },
      waitUntilReady: false,
      name: JSON.stringify(env),
    });
    const status = await worker.waitForExit();
    assert.equal(status.code, 2, worker.stderr);
    const lines = worker.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, worker.stderr);
    assert.match(lines[0], /^bft worker: schedule "broken-report": /);
    assert.match(lines[0], expected);
    assert.deepEqual(worker.logs, []);
  }
});

dbTest(
  "a HEALTH_CHECK_PORT already in use exits 2 before any job is claimed",
  async (db) => {
    const job = await BfJob.create(
      { type: "process_new_record", payload: { record_id: "r1" } },
      CurrentViewer.forOrg("org_config", "person_producer"),
    );
    using taken = Deno.listen({ hostname: "0.0.0.0", port: 0 });
    await using worker = await startWorkerProcess({
      databaseUrl: db.url,
      env: { HEALTH_CHECK_PORT: String(taken.addr.port) },
      waitUntilReady: false,
    });
    const status = await worker.waitForExit();
    assert.equal(status.code, 2, worker.tail());
    const lines = worker.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, worker.stderr);
    assert.match(
      lines[0],
      new RegExp(`HEALTH_CHECK_PORT ${taken.addr.port} is already in use`),
    );
    assert.equal(worker.logsWith("worker started").length, 0);
    const row = await jobRow(job.id);
    assert.equal(row.status, "available");
    assert.equal(row.attempts, 0);
  },
);
