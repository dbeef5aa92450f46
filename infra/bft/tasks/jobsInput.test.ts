// What the jobs tasks accept, through the real launcher against a test database: --run-at only
// as a full ISO-8601 instant, --org never empty or with NUL, the payload from standard input or
// a file, and every other flag range-checked. Each refusal is one line, exit 2, nothing written.
import assert from "node:assert/strict";
import { join } from "node:path";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { allJobRows, jobRow } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { DEFAULT_WAIT_MS } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import {
  BFT_LAUNCHER,
  type BftResult,
  childEnv,
  REPO_ROOT,
  runBft,
} from "@bfmono/apps/collector/testing/workerProcess.ts";
import { main } from "@bfmono/infra/bft/bft.ts";

const RECORD = '{"record_id":"x"}';

async function jobCount(): Promise<number> {
  const [row] = await bfDb.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM bfdb",
  );
  return Number(row.n);
}

/** Asserts a usage error: exit 2, no output, the first line `bft TASK: …` alone, no stack. */
function assertUsageError(
  result: BftResult,
  task: string,
  message: RegExp,
  label: string,
): void {
  assert.equal(result.code, 2, `${label}: ${result.stderr}`);
  assert.equal(result.stdout, "", label);
  const [first, second] = result.stderr.split("\n");
  assert.ok(first.startsWith(`bft ${task}: `), `${label}: ${result.stderr}`);
  assert.match(first, message, label);
  assert.equal(second, "", `${label}: the message is one line`);
  assert.doesNotMatch(result.stderr, /^\s+at /m, `${label}: a stack trace`);
}

/** Runs the launcher with `input` on standard input (runBft gives the child none). */
async function runBftWithInput(
  args: string[],
  env: Record<string, string>,
  input: string | undefined,
): Promise<BftResult> {
  const child = new Deno.Command(BFT_LAUNCHER, {
    args,
    cwd: REPO_ROOT,
    clearEnv: true,
    env: childEnv(env),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DEFAULT_WAIT_MS),
  }).spawn();
  const writer = child.stdin.getWriter();
  const feed = (async () => {
    // undefined keeps standard input open: a task that waits on it times out and fails.
    if (input === undefined) return;
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  })().catch(() => {}); // a child that exits without reading breaks the pipe
  const output = await child.output();
  await feed;
  if (input === undefined) await writer.close().catch(() => {});
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

dbTest(
  "jobs enqueue --run-at takes only a full ISO-8601 instant with an offset or Z",
  async (db) => {
    // A zone far from UTC, so a local reading of "2026-12-01 08:00" would show.
    const env = { DATABASE_URL: db.url, TZ: "America/New_York" };
    const bad = [
      "0",
      "-1",
      "2026-12-01 08:00",
      "2026-12-01",
      "2026-12-01T08:00:00",
      "1764576000000",
      "Tue, 01 Dec 2026 08:00:00 GMT",
      "",
    ];
    const results = await Promise.all(
      bad.map((runAt) =>
        runBft([
          "jobs",
          "enqueue",
          "process_new_record",
          RECORD,
          `--run-at=${runAt}`,
        ], env)
      ),
    );
    results.forEach((result, i) =>
      assertUsageError(
        result,
        "jobs enqueue",
        /--run-at must be an ISO-8601 instant with an offset or Z, e\.g\. 2026-12-01T08:00:00Z or 2026-12-01T08:00:00\.123\+01:00, got "/,
        bad[i],
      )
    );
    assert.equal(await jobCount(), 0);

    for (
      const [runAt, stored] of [
        ["2026-12-01T08:00:00Z", "2026-12-01T08:00:00.000Z"],
        ["2026-12-01T08:00:00.123+01:00", "2026-12-01T07:00:00.123Z"],
      ]
    ) {
      const ok = await runBft(
        ["jobs", "enqueue", "process_new_record", RECORD, "--run-at", runAt],
        env,
      );
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal((await jobRow(ok.stdout.trim())).runAt, stored);
    }
  },
);

dbTest(
  "jobs enqueue refuses an empty, spaced, control-character or overlong --org: exit 2, nothing written",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    const bad = ["", " ", " org_cli", "org\tcli", "org\ncli", "o".repeat(201)];
    const results = await Promise.all(
      bad.map((org) =>
        runBft(
          ["jobs", "enqueue", "process_new_record", RECORD, "--org", org],
          env,
        )
      ),
    );
    results.forEach((result, i) =>
      assertUsageError(
        result,
        "jobs enqueue",
        /--org must be an org id of 1 to 200 characters without control characters or surrounding spaces, got "/,
        JSON.stringify(bad[i]),
      )
    );
    assert.equal(await jobCount(), 0);
    const ok = await runBft(
      ["jobs", "enqueue", "process_new_record", RECORD, "--org", "org_cli"],
      env,
    );
    assert.equal(ok.code, 0, ok.stderr);
    const [{ bf_oid }] = await bfDb.query<{ bf_oid: string }>(
      "SELECT bf_oid FROM bfdb WHERE bf_gid = $1",
      [ok.stdout.trim()],
    );
    assert.equal(bf_oid, "org_cli");
  },
);

dbTest(
  "a NUL in --org, --type or a job ID is a usage error naming it, not a driver error",
  async (db) => {
    // No process can be given a NUL in an argument, so these run bft in this process. The
    // database is set all the same, so a check that let one through could only reach it.
    const before = Deno.env.get("DATABASE_URL");
    Deno.env.set("DATABASE_URL", db.url);
    const cases: [string[], string, RegExp][] = [
      [
        ["jobs", "enqueue", "process_new_record", RECORD, "--org", "a\u0000b"],
        "jobs enqueue",
        /^--org must be an org id .*, got "a\\u0000b"$/,
      ],
      [
        ["jobs", "list", "--type", "a\u0000b"],
        "jobs list",
        /^--type must be a non-empty job type .*, got "a\\u0000b"$/,
      ],
      [
        ["jobs", "retry", "a\u0000b"],
        "jobs retry",
        /^ID must be a non-empty job id .*, got "a\\u0000b"$/,
      ],
      [
        ["jobs", "retry", "--failed", "--type", "a\u0000b"],
        "jobs retry",
        /^--type must be a non-empty job type .*, got "a\\u0000b"$/,
      ],
    ];
    try {
      for (const [argv, task, message] of cases) {
        let stdout = "";
        let stderr = "";
        const code = await main(argv, {
          stdout: (s) => stdout += s,
          stderr: (s) => stderr += s,
        });
        const label = JSON.stringify(argv);
        assert.equal(code, 2, `${label}: ${stderr}`);
        assert.equal(stdout, "");
        const [first, second] = stderr.split("\n");
        assert.ok(first.startsWith(`bft ${task}: `), `${label}: ${stderr}`);
        assert.match(first.slice(`bft ${task}: `.length), message, label);
        assert.equal(second, "", label);
      }
    } finally {
      if (before === undefined) Deno.env.delete("DATABASE_URL");
      else Deno.env.set("DATABASE_URL", before);
    }
    assert.equal(await jobCount(), 0);
  },
);

dbTest(
  "jobs enqueue TYPE - reads the payload from standard input, TYPE @FILE from a file",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    // Bigger than fits comfortably in an argument, within the 1 MiB payload limit.
    const payload = {
      record_id: "big",
      metadata: { blob: "x".repeat(200 * 1024) },
    };
    const fromStdin = await runBftWithInput(
      ["jobs", "enqueue", "process_new_record", "-", "--priority", "3"],
      env,
      JSON.stringify(payload),
    );
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    const a = await jobRow(fromStdin.stdout.trim());
    assert.deepEqual(a.payload, payload);
    assert.equal(a.priority, 3);

    const dir = await Deno.makeTempDir({ prefix: "bft-payload-" });
    try {
      const file = join(dir, "payload.json");
      await Deno.writeTextFile(file, JSON.stringify(payload, null, 2));
      const fromFile = await runBft(
        ["jobs", "enqueue", "process_new_record", `@${file}`],
        env,
      );
      assert.equal(fromFile.code, 0, fromFile.stderr);
      assert.deepEqual((await jobRow(fromFile.stdout.trim())).payload, payload);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(await jobCount(), 2);

    // The usage names the new forms.
    const help = await runBft(["help", "jobs", "enqueue"], env);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: bft jobs enqueue TYPE JSON\|-\|@FILE /);
    assert.match(
      help.stdout,
      /\n {2}- +read the payload from standard input\n/,
    );
    assert.match(help.stdout, /\n {2}@FILE +read the payload from FILE/);
  },
);

dbTest(
  "jobs enqueue: a missing or unreadable payload file or bad JSON is one line naming the source",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    const dir = await Deno.makeTempDir({ prefix: "bft-payload-" });
    try {
      const bad = join(dir, "bad.json");
      await Deno.writeTextFile(bad, '{\n  "record_id":\n  oops\n}\n');
      const missing = join(dir, "missing.json");
      const cases: [string, string | undefined, RegExp][] = [
        [
          `@${missing}`,
          undefined,
          /cannot read the JSON payload from file ".*missing\.json": no such file$/,
        ],
        [
          `@${dir}`,
          undefined,
          /cannot read the JSON payload from file ".*": it is a directory$/,
        ],
        [
          `@${bad}`,
          undefined,
          /JSON payload from file ".*bad\.json" does not parse: /,
        ],
        ["@", undefined, /@ needs a file name/],
        [
          "-",
          '{"record_id":',
          /JSON payload from standard input does not parse: /,
        ],
        ["-", "", /JSON payload from standard input does not parse: /],
        ["{\n  oops\n}", undefined, /JSON payload does not parse: /],
      ];
      const results = await Promise.all(
        cases.map(([source, input]) =>
          runBftWithInput(
            ["jobs", "enqueue", "process_new_record", source],
            env,
            input ?? "",
          )
        ),
      );
      results.forEach((result, i) =>
        assertUsageError(result, "jobs enqueue", cases[i][2], cases[i][0])
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    // Flags are checked before standard input is read: this one would wait forever.
    const early = await runBftWithInput(
      ["jobs", "enqueue", "process_new_record", "-", "--run-at", "0"],
      env,
      undefined,
    );
    assertUsageError(early, "jobs enqueue", /--run-at must be/, "early");
    assert.equal(await jobCount(), 0);
  },
);

dbTest(
  "every jobs flag and argument is range-checked: one line, exit 2, nothing changed",
  async (db) => {
    const env = { DATABASE_URL: db.url };
    const cv = CurrentViewer.forOrg("org_cli");
    const failed = await BfJob.create({ type: "track_usage", payload: {} }, cv);
    const [claimed] = await BfJob.claimBatch("worker-input-test", {
      limit: 1,
      types: ["track_usage"],
    });
    assert.equal(claimed?.id, failed.id);
    assert.equal(await claimed.fail("boom", { permanent: true }), "failed");

    const cases: [string[], string, RegExp][] = [
      [
        [
          "jobs",
          "enqueue",
          "process_new_record",
          RECORD,
          "--priority",
          "1000001",
        ],
        "jobs enqueue",
        /--priority must be a whole number from -1000000 to 1000000, got "1000001"$/,
      ],
      [
        [
          "jobs",
          "enqueue",
          "process_new_record",
          RECORD,
          "--max-attempts",
          "0",
        ],
        "jobs enqueue",
        /--max-attempts must be a whole number from 1 to 1000, got "0"$/,
      ],
      [
        [
          "jobs",
          "enqueue",
          "process_new_record",
          RECORD,
          "--max-attempts",
          "1001",
        ],
        "jobs enqueue",
        /--max-attempts must be a whole number from 1 to 1000/,
      ],
      [
        ["jobs", "enqueue", "process_new_record", RECORD, "extra\narg"],
        "jobs enqueue",
        /unexpected argument "extra\\narg"$/,
      ],
      [
        ["jobs", "list", "--limit", "0"],
        "jobs list",
        /--limit must be a whole number from 1 to 10000, got "0"$/,
      ],
      [
        ["jobs", "list", "--limit", "99999999999999999999"],
        "jobs list",
        /--limit must be a whole number from 1 to 10000/,
      ],
      [
        ["jobs", "list", "--status", "stuck"],
        "jobs list",
        /--status must be one of available, claimed, running, completed, failed, cancelled, got "stuck"$/,
      ],
      [
        ["jobs", "list", "--type", ""],
        "jobs list",
        /--type must be a non-empty job type/,
      ],
      [["jobs", "retry", ""], "jobs retry", /ID must be a non-empty job id/],
      // An empty ID beside --failed once meant "retry every failed job".
      [
        ["jobs", "retry", "", "--failed"],
        "jobs retry",
        /give an ID or --failed, not both/,
      ],
      [
        ["jobs", "retry", "--failed", "--type", ""],
        "jobs retry",
        /--type must be a non-empty job type/,
      ],
      [
        ["jobs", "prune", "--older-than", "99999999d"],
        "jobs prune",
        /--older-than must be a duration like 30s, 15m, 12h, 7d or 1h30m \(at most 100 years\), got "99999999d"$/,
      ],
      [
        ["jobs", "prune", "--older-than", "-1d"],
        "jobs prune",
        /--older-than must be a duration/,
      ],
      [["jobs", "prune"], "jobs prune", /--older-than is required/],
      [
        ["jobs", "status", "extra"],
        "jobs status",
        /unexpected argument extra$/,
      ],
      [["db", "migrate", "extra"], "db migrate", /unexpected argument extra$/],
      [["worker", "extra"], "worker", /unexpected argument extra$/],
      [
        ["jobs", "status", "--json=yes"],
        "jobs status",
        /--json takes no value/,
      ],
    ];
    const results = await Promise.all(cases.map(([argv]) => runBft(argv, env)));
    results.forEach((result, i) =>
      assertUsageError(
        result,
        cases[i][1],
        cases[i][2],
        JSON.stringify(cases[i][0]),
      )
    );
    const rows = await allJobRows();
    assert.equal(rows.size, 1);
    assert.equal(rows.get(failed.id)!.status, "failed");
  },
);
