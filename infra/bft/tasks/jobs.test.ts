// The operator tasks through the real launcher (`infra/bin/bft`) against a test database:
// enqueue, status, list, retry, prune and `db migrate`. Bad input exits 2 and writes nothing.
import assert from "node:assert/strict";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import {
  CurrentViewer,
  SYSTEM_ORG_ID,
} from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { BfJobSchedule } from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import {
  createEmptyDatabase,
  dbTest,
  dropDatabase,
} from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { allJobRows, jobRow } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { runBft } from "@bfmono/apps/collector/testing/workerProcess.ts";

const cv = CurrentViewer.forOrg("org_cli", "person_producer");

/** Puts a new job of `type` through one claim and settles it as `outcome`. */
async function settledJob(
  type: string,
  outcome: "completed" | "failed",
  error = "boom",
): Promise<BfJob> {
  const job = await BfJob.create({ type, payload: {} }, cv);
  const [claimed] = await BfJob.claimBatch("worker-cli-test", {
    limit: 1,
    types: [type],
  });
  assert.equal(claimed?.id, job.id);
  if (outcome === "completed") assert.ok(await claimed.complete());
  else assert.equal(await claimed.fail(error, { permanent: true }), "failed");
  return claimed;
}

async function jobCount(): Promise<number> {
  const [row] = await bfDb.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM bfdb",
  );
  return Number(row.n);
}

dbTest(
  "jobs enqueue checks the payload, enqueues, and prints the new id",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    const result = await runBft(
      ["jobs", "enqueue", "process_new_record", '{"record_id":"x"}'],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const id = result.stdout.trim();
    assert.equal(result.stdout, `${id}\n`);
    const row = await jobRow(id);
    assert.equal(row.type, "process_new_record");
    assert.deepEqual(row.payload, { record_id: "x" });
    assert.equal(row.status, "available");
    assert.equal(row.attempts, 0);
    const [{ bf_oid }] = await bfDb.query<{ bf_oid: string }>(
      "SELECT bf_oid FROM bfdb WHERE bf_gid = $1",
      [id],
    );
    assert.equal(bf_oid, SYSTEM_ORG_ID);

    const scheduled = await runBft([
      "jobs",
      "enqueue",
      "track_usage",
      '{"event":{"event":"signup","distinctId":"person_1"}}',
      "--run-at",
      "2030-01-02T03:04:05Z",
      "--priority",
      "5",
      "--max-attempts",
      "7",
      "--org",
      "org_cli",
    ], env);
    assert.equal(scheduled.code, 0, scheduled.stderr);
    const later = await jobRow(scheduled.stdout.trim());
    assert.equal(later.runAt, "2030-01-02T03:04:05.000Z");
    assert.equal(later.priority, 5);
    assert.equal(later.maxAttempts, 7);
  },
);

dbTest(
  "jobs enqueue refuses bad JSON, unknown types and invalid payloads: exit 2, nothing written",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    const cases: [string[], RegExp][] = [
      [["process_new_record", "{record_id:"], /JSON payload does not parse/],
      [
        ["no_such_type", "{}"],
        /unknown job type "no_such_type"; known types: cleanup_auth_tokens, process_new_record, track_usage/,
      ],
      [
        ["process_new_record", '{"record_id":true}'],
        /invalid payload for process_new_record: record_id: /,
      ],
      [
        ["track_usage", '{"event":{"event":"x"}}'],
        /invalid payload for track_usage: event\.distinctId: /,
      ],
      [
        ["process_new_record", '{"record_id":"x"}', "--run-at", "tomorrow"],
        /--run-at must be an ISO-8601 instant/,
      ],
      [
        ["process_new_record", '{"record_id":"x"}', "--priority", "high"],
        /--priority must be a whole number/,
      ],
      [["process_new_record"], /./],
    ];
    const results = await Promise.all(
      cases.map(([args]) => runBft(["jobs", "enqueue", ...args], env)),
    );
    results.forEach((result, i) => {
      const [args, message] = cases[i];
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, "");
    });
    assert.equal(await jobCount(), 0);
  },
);

dbTest(
  "jobs status shows counts by type and status, and the failed count",
  async (db) => {
    await BfJob.createMany([
      { type: "track_usage", payload: {} },
      { type: "track_usage", payload: {} },
    ], cv);
    await settledJob("process_new_record", "failed");
    await settledJob("process_new_record", "completed");

    const text = await runBft(["jobs", "status"], { DATABASE_URL: db.url });
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split("\n").map((l) => l.trim().split(/\s+/));
    for (
      const row of [
        ["track_usage", "available", "2"],
        ["process_new_record", "failed", "1"],
        ["process_new_record", "completed", "1"],
      ]
    ) {
      assert.ok(
        lines.some((l) => l.join(" ") === row.join(" ")),
        `no row ${row.join(" ")} in\n${text.stdout}`,
      );
    }
    assert.match(text.stdout, /available: 2 +in flight: 0 +failed: 1/);

    const json = await runBft(["jobs", "status", "--json"], {
      DATABASE_URL: db.url,
    });
    assert.equal(json.code, 0, json.stderr);
    const stats = JSON.parse(json.stdout);
    assert.equal(stats.failed, 1);
    assert.equal(stats.available, 2);
    assert.equal(stats.inFlight, 0);
    // No live worker serves anything here: the waiting jobs are reported apart, unhandled.
    assert.equal(stats.liveWorkers, 0);
    assert.equal(stats.oldestAvailableAgeSeconds, null);
    assert.deepEqual(
      stats.unhandled.map((u: { type: string; available: number }) => [
        u.type,
        u.available,
      ]),
      [["track_usage", 2]],
    );
    assert.match(
      text.stdout,
      /no live worker serves: default\/track_usage \(2 waiting/,
    );
    // The memo's ops query answers the same.
    const memo = await bfDb.query<{ status: string; count: string }>(
      "SELECT props->>'status' AS status, COUNT(*) AS count FROM bfDb WHERE class_name = 'BfJob' GROUP BY 1",
    );
    assert.deepEqual(
      Object.fromEntries(memo.map((r) => [r.status, Number(r.count)])),
      { available: 2, failed: 1, completed: 1 },
    );
  },
);

dbTest(
  "jobs list --status failed shows id, type, attempts and last error; --type filters",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    const a = await settledJob("process_new_record", "failed", "record gone");
    const b = await settledJob("track_usage", "failed", "PostHog answered 400");
    await settledJob("track_usage", "completed");

    const all = await runBft(["jobs", "list", "--status", "failed"], env);
    assert.equal(all.code, 0, all.stderr);
    const lineOf = (id: string) =>
      all.stdout.split("\n").find((l) => l.startsWith(id));
    assert.match(
      lineOf(a.id) ?? "",
      /process_new_record\s+failed\s+1\/3\s+record gone/,
    );
    assert.match(
      lineOf(b.id) ?? "",
      /track_usage\s+failed\s+1\/3\s+PostHog answered 400/,
    );
    assert.equal(all.stdout.includes("completed"), false);

    const typed = await runBft(
      ["jobs", "list", "--status", "failed", "--type", "track_usage", "--json"],
      env,
    );
    assert.equal(typed.code, 0, typed.stderr);
    const listed = JSON.parse(typed.stdout);
    assert.deepEqual(listed.map((j: { id: string }) => j.id), [b.id]);
    assert.equal(listed[0].error, "PostHog answered 400");
    assert.equal(listed[0].attempts, 1);

    const bad = await runBft(["jobs", "list", "--status", "stuck"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /status must be one of available, claimed/);
  },
);

dbTest(
  "jobs retry ID and --failed --type put failed jobs back in the queue",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    const one = await settledJob("process_new_record", "failed");
    const t1 = await settledJob("track_usage", "failed");
    const t2 = await settledJob("track_usage", "failed");
    const other = await settledJob("process_new_record", "failed");

    const byId = await runBft(["jobs", "retry", one.id], env);
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal(byId.stdout, `retried 1 job\n${one.id}\n`);
    const retried = await jobRow(one.id);
    assert.equal(retried.status, "available");
    assert.equal(retried.workerId, undefined);

    const again = await runBft(["jobs", "retry", one.id], env);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no failed job with id/);

    const byType = await runBft(
      ["jobs", "retry", "--failed", "--type", "track_usage"],
      env,
    );
    assert.equal(byType.code, 0, byType.stderr);
    assert.match(byType.stdout, /^retried 2 jobs\n/);
    const rows = await allJobRows();
    assert.equal(rows.get(t1.id)!.status, "available");
    assert.equal(rows.get(t2.id)!.status, "available");
    assert.equal(rows.get(other.id)!.status, "failed");

    const usage = await runBft(["jobs", "retry"], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /give a job ID, or --failed/);
  },
);

dbTest(
  "jobs cancel ID and --type [--status available]; jobs show ID prints every prop",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    const waiting = await BfJob.create(
      { type: "process_new_record", payload: { record_id: "r1" } },
      cv,
    );
    const byId = await runBft(
      ["jobs", "cancel", waiting.id, "--reason", "duplicate record"],
      env,
    );
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal(
      byId.stdout,
      `cancelled 1 job\n${waiting.id} (was available)\n`,
    );
    assert.equal((await jobRow(waiting.id)).status, "cancelled");
    assert.equal((await jobRow(waiting.id)).error, "duplicate record");

    const again = await runBft(["jobs", "cancel", waiting.id], env);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /is cancelled: only waiting or running jobs can be cancelled/,
    );
    const done = await settledJob("track_usage", "completed");
    const finished = await runBft(["jobs", "cancel", done.id], env);
    assert.equal(finished.code, 2);
    assert.match(finished.stderr, /is completed/);

    const a = await BfJob.create({ type: "track_usage", payload: {} }, cv);
    const b = await BfJob.create({ type: "track_usage", payload: {} }, cv);
    const [held] = await BfJob.claimBatch("worker-cli-test", {
      types: ["track_usage"],
      limit: 1,
    });
    const waitingOnly = await runBft(
      ["jobs", "cancel", "--type", "track_usage", "--status", "available"],
      env,
    );
    assert.equal(waitingOnly.code, 0, waitingOnly.stderr);
    assert.match(waitingOnly.stdout, /^cancelled 1 job\n/);
    assert.equal((await jobRow(held.id)).status, "claimed");
    const all = await runBft(["jobs", "cancel", "--type", "track_usage"], env);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(
      all.stdout,
      `cancelled 1 job\n${held.id} (was claimed on worker-cli-test)\n`,
    );
    for (const job of [a, b]) {
      assert.equal((await jobRow(job.id)).status, "cancelled");
    }

    const shown = await runBft(["jobs", "show", done.id], env);
    assert.equal(shown.code, 0, shown.stderr);
    const detail = JSON.parse(shown.stdout);
    assert.equal(detail.id, done.id);
    assert.equal(detail.org, "org_cli");
    assert.equal(detail.props.status, "completed");
    assert.equal(detail.props.attempts, 1);
    assert.equal(typeof detail.props.finishedAt, "string");
    assert.deepEqual(detail.props.errors, []);
    const cancelledDetail = JSON.parse(
      (await runBft(["jobs", "show", held.id], env)).stdout,
    );
    assert.equal(cancelledDetail.props.errors.at(-1).cancelled, true);

    const bad = await runBft([
      "jobs",
      "cancel",
      "--type",
      "t",
      "--status",
      "completed",
    ], env);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--status must be one of available, claimed, running/,
    );
    const both = await runBft(
      ["jobs", "cancel", waiting.id, "--type", "t"],
      env,
    );
    assert.equal(both.code, 2);
    const missing = await runBft(["jobs", "show", "nope"], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no job with id "nope"/);
  },
);

dbTest(
  "schedules list, pause, resume and run",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    await BfJobSchedule.upsert([{
      name: "nightly-digest",
      cron: "30 2 * * *",
      timezone: "Europe/Berlin",
      type: "process_new_record",
      payload: { record_id: "digest" },
      missed: "once",
    }]);
    const listed = await runBft(["schedules", "list"], env);
    assert.equal(listed.code, 0, listed.stderr);
    const [header, , row] = listed.stdout.trim().split("\n");
    assert.match(
      header,
      /^name\s+cron\s+zone\s+type\s+next run\s+last fired\s+missed\s+paused$/,
    );
    assert.match(
      row,
      /^nightly-digest\s+30 2 \* \* \*\s+Europe\/Berlin\s+process_new_record\s+20\d\d-\S+Z\s+-\s+once\s+no$/,
    );

    const paused = await runBft(["schedules", "pause", "nightly-digest"], env);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(paused.stdout, "paused nightly-digest\n");
    const json = JSON.parse(
      (await runBft(["schedules", "list", "--json"], env)).stdout,
    );
    assert.equal(json[0].paused, true);
    const resumed = await runBft(
      ["schedules", "resume", "nightly-digest"],
      env,
    );
    assert.equal(resumed.stdout, "resumed nightly-digest\n");
    assert.equal((await BfJobSchedule.list())[0].paused, false);

    const run = await runBft(["schedules", "run", "nightly-digest"], env);
    assert.equal(run.code, 0, run.stderr);
    const jobId = run.stdout.trim();
    const job = await jobRow(jobId);
    assert.equal(job.type, "process_new_record");
    assert.deepEqual(job.payload, { record_id: "digest" });

    const unknown = await runBft(["schedules", "pause", "nope"], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no schedule named "nope"/);
    const missing = await runBft(["schedules", "run"], env);
    assert.equal(missing.code, 2);
  },
);

dbTest(
  "queues list, set, pause and resume",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    await BfJob.createMany([
      { type: "process_new_record", payload: {}, queue: "emails" },
      { type: "process_new_record", payload: {}, queue: "emails" },
      { type: "process_new_record", payload: {} },
    ], cv);
    const set = await runBft(
      ["queues", "set", "emails", "--concurrency", "5", "--rate", "100/60s"],
      env,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, "emails: concurrency 5, rate 100/60000ms\n");
    const paused = await runBft(["queues", "pause", "emails"], env);
    assert.equal(paused.stdout, "paused emails\n");
    const listed = await runBft(["queues", "list"], env);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trim().split("\n");
    assert.match(lines[0], /^queue\s+waiting\s+running\s+paused\s+limits$/);
    assert.match(lines[2], /^default\s+1\s+0\s+no\s+none$/);
    assert.match(
      lines[3],
      /^emails\s+2\s+0\s+yes\s+paused, concurrency 5, rate 100\/60000ms$/,
    );
    const status = await runBft(["jobs", "status"], env);
    assert.match(
      status.stdout,
      /queues with limits: emails \(paused, concurrency 5, rate 100\/60000ms; 2 waiting, 0 running\)/,
    );
    const resumed = await runBft(["queues", "resume", "emails"], env);
    assert.equal(resumed.stdout, "resumed emails\n");
    const off = await runBft(
      ["queues", "set", "emails", "--concurrency", "off", "--rate", "off"],
      env,
    );
    assert.equal(off.stdout, "emails: none\n");
    const fair = await runBft(["queues", "set", "emails", "--fair", "on"], env);
    assert.equal(fair.stdout, "emails: fair by org\n", fair.stderr);
    assert.equal(
      (await runBft(["queues", "set", "emails", "--fair", "off"], env)).stdout,
      "emails: none\n",
    );
    const json = JSON.parse(
      (await runBft(["queues", "list", "--json"], env)).stdout,
    );
    assert.equal(
      json.find((q: { queue: string }) => q.queue === "emails")
        .globalConcurrency,
      null,
    );

    for (
      const [argv, message] of [
        [["queues", "set", "emails"], /give --concurrency, --rate or --fair/],
        [
          ["queues", "set", "emails", "--fair", "yes"],
          /--fair must be on or off/,
        ],
        [
          ["queues", "set", "emails", "--rate", "100"],
          /--rate must be COUNT\/DURATION/,
        ],
        [["queues", "set", "emails", "--rate", "0/1s"], /--rate count/],
        [["queues", "set", "emails", "--concurrency", "-1"], /--concurrency/],
        [["queues", "pause"], /give a queue NAME/],
      ] as const
    ) {
      const bad = await runBft([...argv], env);
      assert.equal(bad.code, 2, argv.join(" "));
      assert.match(bad.stderr, message);
    }
  },
);

dbTest(
  "jobs prune --older-than deletes finished completed jobs only",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    const done = await settledJob("track_usage", "completed");
    const failed = await settledJob("track_usage", "failed");
    const waiting = await BfJob.create(
      { type: "track_usage", payload: {} },
      cv,
    );

    const none = await runBft(["jobs", "prune", "--older-than", "1h"], env);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, "deleted 0 completed jobs\n");

    const pruned = await runBft(["jobs", "prune", "--older-than", "1ms"], env);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.equal(pruned.stdout, "deleted 1 completed job\n");
    const rows = await allJobRows();
    assert.equal(rows.has(done.id), false);
    assert.equal(rows.has(failed.id), true);
    assert.equal(rows.has(waiting.id), true);

    const bad = await runBft(["jobs", "prune", "--older-than", "soon"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--older-than must be a duration/);
  },
);

Deno.test("db migrate applies the migrations once; a second run is up to date", async () => {
  const { name, url } = await createEmptyDatabase();
  try {
    const first = await runBft(["db", "migrate"], { DATABASE_URL: url });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^applied migrations \d+(, \d+)*\n$/);
    const second = await runBft(["db", "migrate"], { DATABASE_URL: url });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, "database is up to date\n");
  } finally {
    await dropDatabase(name);
  }
});

Deno.test("operator tasks refuse a DATABASE_URL that is not PostgreSQL: exit 2, one line", async () => {
  for (
    const args of [["jobs", "status"], ["db", "migrate"], [
      "jobs",
      "enqueue",
      "process_new_record",
      '{"record_id":"x"}',
    ]]
  ) {
    const result = await runBft(args, { DATABASE_URL: "mysql://x" });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
    assert.match(
      result.stderr,
      /DATABASE_URL must be a URL starting with postgres: or postgresql:/,
    );
  }
});

Deno.test("an unreachable database is one line naming where, exit 1, no stack trace", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now: connection refused
  for (const args of [["jobs", "status"], ["db", "migrate"]]) {
    const result = await runBft(args, {
      DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${port}/jobs`,
    });
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0],
      new RegExp(
        `^error: cannot use the database at 127\\.0\\.0\\.1:${port}/jobs: `,
      ),
    );
    assert.ok(!result.stderr.includes("secret"));
  }
});
