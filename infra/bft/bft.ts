/**
 * The bft CLI: `bft TASK args…`.
 *
 * Loads every `*.bft.ts` file in `infra/bft/tasks/` (or `$BFT_TASKS_DIR`),
 * picks the task whose name is the longest prefix of the arguments (names may
 * have several words, e.g. `jobs status`), runs it and exits with its code.
 * `bft`, `bft help` and `bft --help` list the tasks; `bft help TASK` and
 * `bft TASK --help` show one task's usage. The leading words of several-word
 * names make groups (`jobs`, `db`): `bft help GROUP` and `bft GROUP --help`
 * list the tasks in one. Unknown tasks and bad arguments print usage to
 * stderr and exit 2; a task that throws exits 1.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { BftTask } from "./BftTask.ts";
import { quoteValue, UsageError } from "./args.ts";

/** The tasks directory used when none is given. */
export const DEFAULT_TASKS_DIR: URL = new URL("./tasks/", import.meta.url);

const NAME_RE = /^[a-z0-9][a-z0-9_:-]*( [a-z0-9][a-z0-9_:-]*)*$/;
const HELP_FLAGS = ["--help", "-h"];

/** Imports and validates every `*.bft.ts` in `dir`, sorted by task name. */
export async function discoverTasks(
  dir: URL | string = DEFAULT_TASKS_DIR,
): Promise<BftTask[]> {
  const url = toDirUrl(dir);
  const files: string[] = [];
  try {
    for await (const e of Deno.readDir(url)) {
      if (e.isFile && e.name.endsWith(".bft.ts")) files.push(e.name);
    }
  } catch (err) {
    throw new Error(`bft: cannot read tasks directory ${url.pathname}`, {
      cause: err,
    });
  }
  const byName = new Map<string, { task: BftTask; file: string }>();
  for (const file of files.sort()) {
    const mod = await import(new URL(file, url).href);
    const task = checkTask(mod.bftTask, file);
    const other = byName.get(task.name);
    if (other) {
      throw new Error(
        `bft: task "${task.name}" is defined in both ${other.file} and ${file}`,
      );
    }
    byName.set(task.name, { task, file });
  }
  return [...byName.values()].map((v) => v.task).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  );
}

function checkTask(t: unknown, file: string): BftTask {
  const bad = (why: string) => new Error(`bft: ${file}: ${why}`);
  if (typeof t !== "object" || t === null) {
    throw bad("must export `bftTask: BftTask`");
  }
  const { name, description, usage, details, run } = t as Record<
    string,
    unknown
  >;
  if (typeof name !== "string" || !NAME_RE.test(name)) {
    throw bad(`bad name ${JSON.stringify(name)}: lowercase words, one space`);
  }
  if (name === "help" || name.startsWith("help ")) {
    throw bad(`"help" is built in`);
  }
  if (typeof description !== "string" || !/^[^\r\n]+$/.test(description)) {
    throw bad("description must be one non-empty line");
  }
  if (usage !== undefined && typeof usage !== "string") {
    throw bad("usage must be a string");
  }
  if (details !== undefined && typeof details !== "string") {
    throw bad("details must be a string");
  }
  if (typeof run !== "function") throw bad("run must be a function");
  return t as BftTask;
}

function toDirUrl(dir: URL | string): URL {
  const url = dir instanceof URL
    ? new URL(dir)
    : /^file:/.test(dir)
    ? new URL(dir)
    : pathToFileURL(resolve(dir));
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** Finds the task with the longest name that prefixes `argv`, and the remaining args. */
export function matchTask(
  tasks: readonly BftTask[],
  argv: readonly string[],
): { task: BftTask; args: string[] } | undefined {
  let best: BftTask | undefined;
  let bestLen = 0;
  for (const task of tasks) {
    const words = task.name.split(" ");
    if (words.length <= bestLen) continue;
    if (words.every((w, i) => argv[i] === w)) {
      best = task;
      bestLen = words.length;
    }
  }
  return best && { task: best, args: argv.slice(bestLen) };
}

/** The tasks whose names start with the words of `group` (and have more words). */
export function groupTasks(
  tasks: readonly BftTask[],
  group: readonly string[],
): BftTask[] {
  return tasks.filter((t) => {
    const words = t.name.split(" ");
    return words.length > group.length && group.every((w, i) => words[i] === w);
  });
}

/** The longest run of leading `argv` words that is a group (a proper prefix of some task name). */
function matchGroup(
  tasks: readonly BftTask[],
  argv: readonly string[],
): string[] | undefined {
  for (let n = argv.length; n > 0; n--) {
    const group = argv.slice(0, n);
    if (groupTasks(tasks, group).length > 0) return group;
  }
  return undefined;
}

function taskRows(tasks: readonly BftTask[]): string[] {
  const width = Math.max(0, ...tasks.map((t) => t.name.length));
  return tasks.map((t) => `  ${t.name.padEnd(width)}  ${t.description}`);
}

/** The `bft help` text: usage line and the tasks with their descriptions. */
export function formatHelp(tasks: readonly BftTask[]): string {
  const rows = taskRows(tasks);
  return [
    "Usage: bft TASK [ARGS…]",
    "",
    "Tasks:",
    ...(rows.length ? rows : ["  (none)"]),
    "",
    "Run `bft help TASK` for a task's usage, `bft help GROUP` for a group's tasks.",
    "",
  ].join("\n");
}

/** The `bft help GROUP` text: the tasks under the words of `group`, with their descriptions. */
export function formatGroupHelp(
  group: readonly string[],
  tasks: readonly BftTask[],
): string {
  const name = group.join(" ");
  return [
    `Usage: bft ${name} TASK [ARGS…]`,
    "",
    `Tasks in ${name}:`,
    ...taskRows(groupTasks(tasks, group)),
    "",
    `Run \`bft help ${name} TASK\` for a task's usage.`,
    "",
  ].join("\n");
}

/** The usage text for one task, with the tasks under its name when `tasks` holds any. */
export function formatTaskUsage(
  task: BftTask,
  tasks: readonly BftTask[] = [],
): string {
  const sub = groupTasks(tasks, task.name.split(" "));
  return [
    `Usage: bft ${task.usage ?? task.name}`,
    "",
    task.description,
    ...(task.details === undefined ? [] : ["", task.details]),
    ...(sub.length ? ["", `Tasks in ${task.name}:`, ...taskRows(sub)] : []),
    "",
  ].join("\n");
}

/** What follows a usage error: the synopsis and description, and where the details are. */
function formatUsageReminder(task: BftTask): string {
  const more = task.details === undefined
    ? ""
    : `\nRun \`bft help ${task.name}\` for what each argument means.\n`;
  return formatTaskUsage({ ...task, details: undefined }) + more;
}

/** Where {@linkcode main} finds tasks and writes text (injectable for tests). */
export interface MainOptions {
  /** Tasks directory; default {@linkcode DEFAULT_TASKS_DIR}. */
  tasksDir?: URL | string;
  /** Writes help text; default stdout. */
  stdout?: (text: string) => void;
  /** Writes errors and usage after mistakes; default stderr. */
  stderr?: (text: string) => void;
}

/** Runs bft with `argv` (the arguments after `bft`) and resolves to the exit code. */
export async function main(
  argv: readonly string[],
  options: MainOptions = {},
): Promise<number> {
  const out = options.stdout ?? ((s: string) => writeAll(Deno.stdout, s));
  const err = options.stderr ?? ((s: string) => writeAll(Deno.stderr, s));
  const tasks = await discoverTasks(options.tasksDir ?? DEFAULT_TASKS_DIR);
  const [first = "help", ...rest] = argv;
  if (first === "help" || HELP_FLAGS.includes(first)) {
    if (rest.length === 0) {
      out(formatHelp(tasks));
      return 0;
    }
    const m = matchTask(tasks, rest);
    if (m?.args.length === 0) {
      out(formatTaskUsage(m.task, tasks));
      return 0;
    }
    const group = matchGroup(tasks, rest);
    if (group?.length === rest.length) {
      out(formatGroupHelp(group, tasks));
      return 0;
    }
    return unknown(tasks, rest, err);
  }
  const m = matchTask(tasks, argv);
  if (!m) {
    // `bft jobs --help`: a group's words, then a help flag.
    const group = matchGroup(tasks, argv);
    if (group && HELP_FLAGS.includes(argv[group.length])) {
      out(formatGroupHelp(group, tasks));
      return 0;
    }
    return unknown(tasks, argv, err);
  }
  const { task, args } = m;
  const end = args.indexOf("--");
  if (
    (end < 0 ? args : args.slice(0, end)).some((a) => HELP_FLAGS.includes(a))
  ) {
    out(formatTaskUsage(task, tasks));
    return 0;
  }
  let code: unknown;
  try {
    code = await task.run(args);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`bft ${task.name}: ${e.message}\n\n${formatUsageReminder(task)}`);
      return 2;
    }
    err(`bft ${task.name}: ${e instanceof Error ? e.stack : String(e)}\n`);
    return 1;
  }
  if (
    typeof code !== "number" || !Number.isInteger(code) || code < 0 ||
    code > 255
  ) {
    err(`bft ${task.name}: run() returned ${String(code)}, not an exit code\n`);
    return 1;
  }
  return code;
}

function unknown(
  tasks: readonly BftTask[],
  argv: readonly string[],
  err: (s: string) => void,
): number {
  // How many leading words of argv some longer task name shares, e.g. `jobs`.
  const depth = Math.max(0, ...tasks.map((t) => sharedWords(t.name, argv)));
  const related = tasks.filter((t) => sharedWords(t.name, argv) === depth);
  if (depth > 0 && argv.length === depth) {
    err(
      `bft: ${quoteValue(argv.join(" "))} is a group of tasks; name one\n\n${
        formatGroupHelp(argv, tasks)
      }`,
    );
    return 2;
  }
  const shown = argv.slice(0, depth + 1).join(" ");
  err(
    `bft: unknown task ${quoteValue(shown)}\n\n${
      formatHelp(depth ? related : tasks)
    }`,
  );
  return 2;
}

function sharedWords(name: string, argv: readonly string[]): number {
  const words = name.split(" ");
  let n = 0;
  while (n < words.length - 1 && words[n] === argv[n]) n++;
  return n;
}

function writeAll(w: { writeSync(p: Uint8Array): number }, s: string): void {
  const bytes = new TextEncoder().encode(s);
  for (let n = 0; n < bytes.length;) n += w.writeSync(bytes.subarray(n));
}

if (import.meta.main) {
  try {
    Deno.exit(
      await main(Deno.args, { tasksDir: Deno.env.get("BFT_TASKS_DIR") }),
    );
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const cause = e instanceof Error && e.cause ? `: ${e.cause}` : "";
    console.error(msg + cause);
    Deno.exit(1);
  }
}
