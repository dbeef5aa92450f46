/**
 * Runs the real `infra/bin/bft` in a subprocess for tests: `bft worker` as a long-lived
 * {@linkcode WorkerProcess} whose JSON log lines are parsed as they arrive, and one-shot commands
 * with {@linkcode runBft}. The child's environment is the parent's minus every worker setting,
 * plus what the test passes, so a developer's shell never leaks into a test.
 *
 * Always dispose a worker (`await using`): disposal SIGKILLs it if it still runs and waits for
 * it, so a failing test leaves no process behind.
 *
 * @example
 * ```ts
 * await using worker = await startWorkerProcess({ databaseUrl: db.url });
 * const health = await fetch(worker.url("/health"));
 * await worker.kill("SIGTERM");
 * assert.equal((await worker.status).code, 0);
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { JsonLineProcess } from "@bfmono/packages/childProcess/jsonLineProcess.ts";
import { DEFAULT_WAIT_MS } from "../../bfDb/testing/waitFor.ts";

/** The repository root. */
export const REPO_ROOT: string = fileURLToPath(
  new URL("../../../", import.meta.url),
);

/** The bft launcher the tests run. */
export const BFT_LAUNCHER: string = join(REPO_ROOT, "infra/bin/bft");

/** Variables the worker or bft read; removed from the inherited environment. */
const WORKER_VARIABLES = [
  "DATABASE_URL",
  "DATABASE_POOL_SIZE",
  "DATABASE_POOLER",
  "DATABASE_LISTEN_URL",
  "WORKER_CONCURRENCY",
  "JOB_TIMEOUT_MS",
  "JOB_LEASE_MS",
  "HEALTH_CHECK_PORT",
  "DENO_ENV",
  "POSTHOG_HOST",
  "POSTHOG_API_KEY",
  "WORKER_POLL_INTERVAL_MS",
  "WORKER_PREFETCH",
  "WORKER_QUEUES",
  "BFDB_DATA_DIR",
  "WORKER_SHUTDOWN_GRACE_MS",
  "DATABASE_CONNECT_TIMEOUT_MS",
  "LOG_LEVEL",
  "BFT_TASKS_DIR",
  "JOB_RETENTION",
  "JOB_RETENTION_FAILED",
];

/** The environment for a child: the parent's minus worker settings, plus `env`. */
export function childEnv(env: Record<string, string> = {}): Record<
  string,
  string
> {
  const base = Deno.env.toObject();
  for (const name of WORKER_VARIABLES) delete base[name];
  return { ...base, DENO: Deno.execPath(), ...env };
}

/** One parsed JSON log line. */
export type LogLine = { level: string; msg: string } & Record<string, unknown>;

/** Options for {@linkcode startWorkerProcess}. */
export interface WorkerProcessOptions {
  /** DATABASE_URL for the worker. */
  databaseUrl: string;
  /** More variables (they win over the defaults HEALTH_CHECK_PORT=0, DENO_ENV=test). */
  env?: Record<string, string>;
  /** Wait for "health server listening" and "worker started" before returning (default true). */
  waitUntilReady?: boolean;
  /** Label used in failure messages. */
  name?: string;
  /**
   * A Deno script to run instead of `bft worker` (with the launcher's runtime flags), for
   * workers with test handlers; it is ready once it logs `readyMessage`.
   */
  script?: string;
  /** With `script`: the log message that says it is ready; default "worker started". */
  readyMessage?: string;
  /**
   * Start it as a user does, `deno task start`, in a process group of its own (`setsid`), so
   * {@linkcode WorkerProcess.interruptGroup} can play a terminal's Ctrl-C.
   */
  viaDenoTask?: boolean;
}

/** A `bft worker` subprocess, its parsed logs, and its exit. */
export class WorkerProcess extends JsonLineProcess {
  /** Parsed JSON log lines from stdout, in order. */
  get logs(): LogLine[] {
    return this.lines as LogLine[];
  }

  /** Its label in failure messages. */
  get name(): string {
    return this.label;
  }

  /** The port /health listens on (from the "health server listening" line). */
  get port(): number {
    const line = this.logs.find((l) => l.msg === "health server listening");
    if (!line) throw new Error(`${this.name}: not listening yet`);
    return Number(line.port);
  }

  /** The worker id it claims jobs as (from the "worker started" line). */
  get workerId(): string {
    const line = this.logs.find((l) => l.msg === "worker started");
    if (!line) throw new Error(`${this.name}: not started yet`);
    return String(line.workerId);
  }

  /** A URL on the worker's HTTP port. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The logs whose `msg` is `msg`. */
  logsWith(msg: string): LogLine[] {
    return this.logs.filter((line) => line.msg === msg);
  }

  /**
   * Waits for a log line matching `match` (a msg, or a predicate) and returns it; fails at once,
   * with the output, if the process exits first.
   */
  async waitForLog(
    match: string | ((line: LogLine) => boolean),
    options: { after?: number; timeoutMs?: number } = {},
  ): Promise<LogLine> {
    const test = typeof match === "string"
      ? (line: LogLine) => line.msg === match
      : match;
    return await this.waitForLine((line) => test(line as LogLine), {
      timeoutMs: options.timeoutMs ?? DEFAULT_WAIT_MS,
      after: options.after,
      what: typeof match === "string"
        ? `a ${JSON.stringify(match)} log line`
        : "a matching log line",
    }) as LogLine;
  }

  /**
   * Sends SIGINT to the child's whole process group, as a terminal does on Ctrl-C (only for a
   * worker started with `viaDenoTask`, which leads its own group).
   */
  interruptGroup(): void {
    Deno.kill(-this.pid, "SIGINT");
  }

  /** Sends `signal` (default SIGTERM) unless the process has exited. */
  override kill(signal: Deno.Signal = "SIGTERM"): void {
    super.kill(signal);
  }

  /** Waits for the exit, failing (and killing the process) if it takes longer than the bound. */
  override waitForExit(
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<Deno.CommandStatus> {
    return super.waitForExit(timeoutMs);
  }
}

let started = 0;

/**
 * Starts `infra/bin/bft worker` against `databaseUrl` (HEALTH_CHECK_PORT=0, DENO_ENV=test unless
 * `env` says otherwise) and, by default, waits until its HTTP server listens and its loop runs.
 */
export async function startWorkerProcess(
  options: WorkerProcessOptions,
): Promise<WorkerProcess> {
  const name = options.name ?? `worker ${++started}`;
  const [command, args] = options.script
    ? [Deno.execPath(), [
      "run",
      "-A",
      ...launcherRuntimeFlags(),
      options.script,
    ]]
    : options.viaDenoTask
    ? ["setsid", [Deno.execPath(), "task", "--quiet", "start"]]
    : [BFT_LAUNCHER, ["worker"]];
  const worker = new WorkerProcess({
    command,
    args,
    label: name,
    cwd: REPO_ROOT,
    clearEnv: true,
    env: childEnv({
      DATABASE_URL: options.databaseUrl,
      HEALTH_CHECK_PORT: "0",
      DENO_ENV: "test",
      ...options.env,
    }),
  });
  if (options.waitUntilReady !== false) {
    try {
      if (options.script) {
        await worker.waitForLog(options.readyMessage ?? "worker started");
      } else {
        await worker.waitForLog("health server listening");
        await worker.waitForLog("worker started");
      }
    } catch (error) {
      await worker[Symbol.asyncDispose]();
      throw error;
    }
  }
  return worker;
}

/**
 * The Deno flags `infra/bin/bft` runs the worker with (its `--v8-flags=…` and `--config`), so a
 * worker started from a script runs as `bft worker` does; read from the launcher itself so the
 * two cannot drift apart.
 */
export function launcherRuntimeFlags(): string[] {
  const launcher = Deno.readTextFileSync(BFT_LAUNCHER);
  return [
    ...(launcher.match(/--v8-flags=\S+/g) ?? []),
    "--config",
    join(REPO_ROOT, "deno.json"),
  ];
}

/** What a one-shot bft command printed and how it exited. */
export interface BftResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `infra/bin/bft ...args` to completion with `env` (worker settings not inherited) and
 * returns its exit code and output; kills it if it outlives the bound.
 */
export async function runBft(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<BftResult> {
  const output = await new Deno.Command(BFT_LAUNCHER, {
    args,
    cwd: REPO_ROOT,
    clearEnv: true,
    env: childEnv(env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
