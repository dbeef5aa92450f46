import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import {
  DEFAULT_TASKS_DIR,
  discoverTasks,
  formatGroupHelp,
  formatHelp,
  formatTaskUsage,
  main,
  matchTask,
} from "./bft.ts";
import type { BftTask } from "./BftTask.ts";

const FIXTURES = new URL("./testdata/tasks/", import.meta.url);
const REPO = fromFileUrl(new URL("../../", import.meta.url));
const LAUNCHER = join(REPO, "infra/bin/bft");

const FIXTURE_HELP = `Usage: bft TASK [ARGS…]

Tasks:
  db migrate   Apply migrations
  exit         Exit with CODE
  hello        Print the arguments
  jobs         Generic jobs command
  jobs status  Show queue counts
  throws       Throw an error

Run \`bft help TASK\` for a task's usage, \`bft help GROUP\` for a group's tasks.
`;

/** Runs main() in-process against `dir`, capturing stdout and stderr. */
async function run(argv: string[], dir: URL | string = FIXTURES) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    tasksDir: dir,
    stdout: (s) => stdout += s,
    stderr: (s) => stderr += s,
  });
  return { code, stdout, stderr };
}

/** Writes `files` (name -> source) into a fresh temp dir and returns its path. */
async function tempTasks(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "bft-test-" });
  for (const [name, src] of Object.entries(files)) {
    await Deno.writeTextFile(join(dir, name), src);
  }
  return dir;
}

const task = (fields: string) =>
  `export const bftTask = { run: () => Promise.resolve(0), ${fields} };\n`;

Deno.test("discoverTasks loads *.bft.ts files, sorted by name, nothing else", async () => {
  const tasks = await discoverTasks(FIXTURES);
  assert.deepEqual(tasks.map((t) => t.name), [
    "db migrate",
    "exit",
    "hello",
    "jobs",
    "jobs status",
    "throws",
  ]);
  // not_a_task.ts throws when imported, so reaching here proves it was skipped.
  const asPath = await discoverTasks(fromFileUrl(FIXTURES).replace(/\/$/, ""));
  assert.equal(asPath.length, tasks.length);
});

Deno.test("discoverTasks rejects malformed task files, naming the file", async (t) => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "no export",
      { "a.bft.ts": "export const x = 1;\n" },
      /a\.bft\.ts: must export `bftTask: BftTask`/,
    ],
    [
      "bad name",
      { "a.bft.ts": task(`name: "Jobs list", description: "d"`) },
      /a\.bft\.ts: bad name "Jobs list"/,
    ],
    [
      "help",
      { "a.bft.ts": task(`name: "help", description: "d"`) },
      /"help" is built in/,
    ],
    ["multi-line description", {
      "a.bft.ts": task(`name: "a", description: "d\\ne"`),
    }, /description must be one non-empty line/],
    ["details not a string", {
      "a.bft.ts": task(`name: "a", description: "d", details: 1`),
    }, /details must be a string/],
    ["no run", {
      "a.bft.ts": `export const bftTask = { name: "a", description: "d" };\n`,
    }, /run must be a function/],
    [
      "duplicate",
      {
        "a.bft.ts": task(`name: "x", description: "d"`),
        "b.bft.ts": task(`name: "x", description: "d"`),
      },
      /task "x" is defined in both a\.bft\.ts and b\.bft\.ts/,
    ],
  ];
  for (const [label, files, re] of cases) {
    await t.step(label, async () => {
      const dir = await tempTasks(files);
      try {
        await assert.rejects(discoverTasks(dir), re);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
  await t.step("missing directory", async () => {
    await assert.rejects(
      discoverTasks("/nonexistent/bft-tasks"),
      /cannot read tasks directory \/nonexistent\/bft-tasks\//,
    );
  });
});

Deno.test("matchTask picks the longest name that prefixes argv", async () => {
  const tasks = await discoverTasks(FIXTURES);
  const m = (argv: string[]) => {
    const r = matchTask(tasks, argv);
    return r && [r.task.name, r.args];
  };
  assert.deepEqual(m(["jobs", "status", "--type", "t"]), ["jobs status", [
    "--type",
    "t",
  ]]);
  assert.deepEqual(m(["jobs", "statusx"]), ["jobs", ["statusx"]]);
  assert.deepEqual(m(["jobs"]), ["jobs", []]);
  assert.deepEqual(m(["db", "migrate"]), ["db migrate", []]);
  assert.equal(m(["db"]), undefined);
  assert.equal(m(["migrate"]), undefined);
  assert.equal(m([]), undefined);
});

Deno.test("help, no args, --help and -h list tasks on stdout, exit 0", async () => {
  for (const argv of [[], ["help"], ["--help"], ["-h"]]) {
    assert.deepEqual(await run(argv), {
      code: 0,
      stdout: FIXTURE_HELP,
      stderr: "",
    });
  }
  const empty = await tempTasks({});
  try {
    assert.match((await run([], empty)).stdout, /Tasks:\n {2}\(none\)\n/);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("help TASK and TASK --help show that task's usage", async () => {
  const usage =
    "Usage: bft jobs status [--type T] [--json]\n\nShow queue counts\n";
  assert.deepEqual(await run(["help", "jobs", "status"]), {
    code: 0,
    stdout: usage,
    stderr: "",
  });
  assert.deepEqual(await run(["jobs", "status", "--type", "x", "--help"]), {
    code: 0,
    stdout: usage,
    stderr: "",
  });
  assert.equal(
    formatTaskUsage({ name: "db migrate", description: "D" } as BftTask),
    "Usage: bft db migrate\n\nD\n",
  );
  assert.equal(
    formatTaskUsage({
      name: "a",
      description: "D",
      usage: "a X",
      details: "  X  what X is",
    } as BftTask),
    "Usage: bft a X\n\nD\n\n  X  what X is\n",
  );
});

const DB_GROUP_HELP = `Usage: bft db TASK [ARGS…]

Tasks in db:
  db migrate  Apply migrations

Run \`bft help db TASK\` for a task's usage.
`;

Deno.test("help GROUP, GROUP --help and GROUP -h list the group's tasks, exit 0", async () => {
  for (const argv of [["help", "db"], ["db", "--help"], ["db", "-h"]]) {
    assert.deepEqual(await run(argv), {
      code: 0,
      stdout: DB_GROUP_HELP,
      stderr: "",
    }, argv.join(" "));
  }
  // A task that is also a group shows its usage, then the tasks under it.
  const jobs = [
    "Usage: bft jobs\n\nGeneric jobs command\n",
    "Tasks in jobs:\n  jobs status  Show queue counts\n",
  ].join("\n");
  for (const argv of [["help", "jobs"], ["jobs", "--help"]]) {
    assert.deepEqual(await run(argv), { code: 0, stdout: jobs, stderr: "" });
  }
  // The group alone runs nothing: exit 2, and what it holds on stderr.
  assert.deepEqual(await run(["db"]), {
    code: 2,
    stdout: "",
    stderr: `bft: "db" is a group of tasks; name one\n\n${DB_GROUP_HELP}`,
  });
  // Not a group, or a group's unknown task: still unknown.
  assert.equal((await run(["help", "d"])).code, 2);
  assert.equal((await run(["help", "db", "nope"])).code, 2);
  assert.equal((await run(["db", "nope", "--help"])).code, 2);
});

Deno.test("every group of the real tasks answers help GROUP and GROUP --help with its tasks", async () => {
  const tasks = await discoverTasks(DEFAULT_TASKS_DIR);
  const groups = [
    ...new Set(
      tasks.filter((t) => t.name.includes(" ")).map((t) =>
        t.name.split(" ")[0]
      ),
    ),
  ];
  assert.ok(groups.includes("jobs") && groups.includes("db"), `${groups}`);
  for (const group of groups) {
    const inGroup = tasks.filter((t) => t.name.startsWith(`${group} `));
    for (const argv of [["help", group], [group, "--help"], [group, "-h"]]) {
      const r = await run(argv, DEFAULT_TASKS_DIR);
      assert.equal(r.code, 0, `${argv.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, formatGroupHelp([group], tasks));
      for (const t of inGroup) {
        assert.ok(
          r.stdout.includes(`  ${t.name}  `) &&
            r.stdout.includes(t.description),
          `${argv.join(" ")} lacks ${t.name}:\n${r.stdout}`,
        );
      }
      const listed = r.stdout.split("\n").filter((l) => /^ {2}\S/.test(l));
      assert.equal(listed.length, inGroup.length, r.stdout);
    }
  }
});

Deno.test("an unknown task prints usage to stderr and exits 2", async () => {
  const r = await run(["nope", "--x"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, `bft: unknown task "nope"\n\n${FIXTURE_HELP}`);
  // Whatever was typed, the complaint stays on one line.
  const odd = await run(["no\npe"]);
  assert.equal(odd.code, 2);
  assert.equal(odd.stderr.split("\n")[0], 'bft: unknown task "no\\npe"');
  // A known first word lists only the tasks under it.
  const db = await run(["db", "rollback", "x"]);
  assert.equal(db.code, 2);
  assert.equal(
    db.stderr,
    `bft: unknown task "db rollback"\n\n${
      formatHelp([
        { name: "db migrate", description: "Apply migrations" } as BftTask,
      ])
    }`,
  );
});

Deno.test("the task's exit code is the result; errors map to 2 and 1", async () => {
  assert.deepEqual(await run(["exit", "7"]), {
    code: 7,
    stdout: "",
    stderr: "",
  });
  assert.deepEqual(await run(["exit", "0"]), {
    code: 0,
    stdout: "",
    stderr: "",
  });
  const usage = await run(["exit", "300"]);
  assert.equal(usage.code, 2);
  assert.equal(
    usage.stderr,
    'bft exit: CODE must be a whole number from 0 to 255, got "300"\n\nUsage: bft exit CODE\n\nExit with CODE\n',
  );
  const missing = await run(["exit"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^bft exit: expected at least 1 argument/);
  const thrown = await run(["throws"]);
  assert.equal(thrown.code, 1);
  assert.match(thrown.stderr, /^bft throws: Error: kaboom\n\s+at /);
});

Deno.test("a run() that does not resolve to an exit code exits 1", async () => {
  const dir = await tempTasks({
    "a.bft.ts":
      `export const bftTask = { name: "a", description: "d", run: () => Promise.resolve("ok") };\n`,
  });
  try {
    assert.deepEqual(await run(["a"], dir), {
      code: 1,
      stdout: "",
      stderr: "bft a: run() returned ok, not an exit code\n",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a usage error names where a task's details are instead of repeating them", async () => {
  const args = new URL("./args.ts", import.meta.url).href;
  const dir = await tempTasks({
    "a.bft.ts": `import { UsageError } from "${args}";
export const bftTask = {
  name: "a b",
  description: "D",
  usage: "a b X",
  details: "  X  what X is",
  run: () => Promise.reject(new UsageError("X is wrong")),
};
`,
  });
  try {
    assert.deepEqual(await run(["a", "b"], dir), {
      code: 2,
      stdout: "",
      stderr: "bft a b: X is wrong\n\nUsage: bft a b X\n\nD\n" +
        "\nRun `bft help a b` for what each argument means.\n",
    });
    assert.equal(
      (await run(["help", "a", "b"], dir)).stdout,
      "Usage: bft a b X\n\nD\n\n  X  what X is\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad flags to a multi-word task print its usage and exit 2", async () => {
  const r = await run(["jobs", "status", "--bogus"]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    "bft jobs status: unknown flag --bogus\n\nUsage: bft jobs status [--type T] [--json]\n\nShow queue counts\n",
  );
});

/** Runs the real launcher as a subprocess from `cwd`. */
async function launch(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  bin = LAUNCHER,
) {
  const out = await new Deno.Command(bin, {
    args,
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

const FIXTURE_ENV = { BFT_TASKS_DIR: fromFileUrl(FIXTURES) };

Deno.test("infra/bin/bft help works from another directory with the real tasks", async () => {
  const r = await launch(["help"], join(REPO, "apps"));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: bft TASK \[ARGS…\]\n\nTasks:\n/);
  for (const argv of [["jobs", "--help"], ["help", "jobs"]]) {
    const jobs = await launch(argv, join(REPO, "apps"));
    assert.equal(jobs.code, 0, jobs.stderr);
    assert.match(
      jobs.stdout,
      /^Usage: bft jobs TASK \[ARGS…\]\n\nTasks in jobs:\n/,
    );
    assert.match(jobs.stdout, /\n {2}jobs enqueue {2}Enqueue a job/);
  }
});

Deno.test("infra/bin/bft passes args and exit codes through", async () => {
  const cwd = join(REPO, "apps");
  assert.deepEqual(await launch(["help"], cwd, FIXTURE_ENV), {
    code: 0,
    stdout: FIXTURE_HELP,
    stderr: "",
  });
  const hello = await launch(["hello", "a b", "--c=d", "ü"], cwd, FIXTURE_ENV);
  assert.deepEqual(hello, {
    code: 0,
    stdout: '["a b","--c=d","ü"]\n',
    stderr: "",
  });
  const multi = await launch(
    ["jobs", "status", "--type=t", "--json"],
    cwd,
    FIXTURE_ENV,
  );
  assert.equal(multi.code, 0, multi.stderr);
  assert.deepEqual(JSON.parse(multi.stdout), {
    task: "jobs status",
    flags: { type: "t", json: true },
    positionals: [],
  });
  assert.equal((await launch(["exit", "3"], cwd, FIXTURE_ENV)).code, 3);
  const unknown = await launch(["nope"], cwd, FIXTURE_ENV);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^bft: unknown task "nope"\n\nUsage: bft TASK/);
  const badFlag = await launch(["jobs", "status", "--bogus"], cwd, FIXTURE_ENV);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /unknown flag --bogus/);
  assert.equal((await launch(["throws"], cwd, FIXTURE_ENV)).code, 1);
  const broken = await launch(["help"], cwd, {
    BFT_TASKS_DIR: "/nonexistent/bft-tasks",
  });
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /cannot read tasks directory/);
});

Deno.test("infra/bin/bft works through a symlink from outside the repo", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bft-link-" });
  try {
    await Deno.mkdir(join(dir, "bin"));
    await Deno.symlink("../target", join(dir, "bin/bft")); // relative link to a link
    await Deno.symlink(LAUNCHER, join(dir, "target"));
    const r = await launch(
      ["exit", "4"],
      dir,
      FIXTURE_ENV,
      join(dir, "bin/bft"),
    );
    assert.equal(r.code, 4, r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
