/**
 * A child process that writes one JSON object per stdout line (structured logs, or a line
 * protocol): spawn it, keep its lines as they arrive, wait for a line, signal it, and always
 * end it. The tests' worker processes, the chaos suite's fleet and the bench's processes are
 * all built on this one class.
 *
 * @example
 * ```ts
 * await using child = JsonLineProcess.spawn({ command: "deno", args: ["run", "w.ts"], label: "w" });
 * await child.waitForLine((line) => line.msg === "ready", { timeoutMs: 30_000 });
 * const status = await child.terminate(10_000);
 * ```
 *
 * @module
 */

/** One parsed stdout line. */
export type JsonLine = Record<string, unknown>;

/** How to start a {@linkcode JsonLineProcess}. */
export interface JsonLineProcessOptions {
  command: string;
  args: string[];
  /** The environment; with `clearEnv`, the only variables the child gets. */
  env?: Record<string, string>;
  clearEnv?: boolean;
  cwd?: string;
  /** Whether `send` can write to the child's stdin; default no stdin. */
  stdin?: "piped" | "null";
  /** Who it is in failure messages. */
  label: string;
  /** Every byte of stdout, and stderr with each line marked `[stderr] `, is appended here. */
  logFile?: string;
  /** Echo stderr on this process's stderr, prefixed with the label. */
  echoStderr?: boolean;
  /** Called with each parsed line as it arrives. */
  onLine?: (line: JsonLine) => void;
}

/** How much of stderr is kept for failure messages. */
const STDERR_KEPT = 8_000;

/** Every child spawned here and still running: `killAll` ends them (exit handlers, Ctrl-C). */
const LIVE = new Set<JsonLineProcess>();

/** See the module doc. */
export class JsonLineProcess implements AsyncDisposable {
  readonly label: string;
  readonly pid: number;
  /** Parsed JSON objects from stdout, in order. */
  readonly lines: JsonLine[] = [];
  /** Stdout lines that were not JSON objects. */
  readonly otherStdout: string[] = [];
  /** Resolves when the process has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Resolves when its output streams are read to the end (and the log file written). */
  readonly outputDone: Promise<void>;
  #stderr = "";
  #exit: Deno.CommandStatus | undefined;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #waiters = new Set<() => void>();
  readonly #options: JsonLineProcessOptions;

  constructor(options: JsonLineProcessOptions) {
    this.#options = options;
    this.label = options.label;
    this.#child = new Deno.Command(options.command, {
      args: options.args,
      env: options.env,
      clearEnv: options.clearEnv,
      cwd: options.cwd,
      stdin: options.stdin ?? "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    this.#stdin = options.stdin === "piped"
      ? this.#child.stdin.getWriter()
      : undefined;
    LIVE.add(this);
    const log = options.logFile
      ? Deno.openSync(options.logFile, {
        write: true,
        create: true,
        append: true,
      })
      : undefined;
    this.outputDone = Promise.all([
      this.#readStdout(log),
      this.#readStderr(log),
    ]).then(() => {}, () => {}).finally(() => log?.close());
    this.status = this.#child.status.then((status) => {
      this.#exit = status;
      LIVE.delete(this);
      this.#wake();
      return status;
    });
  }

  /** Starts a child. */
  static spawn(options: JsonLineProcessOptions): JsonLineProcess {
    return new JsonLineProcess(options);
  }

  /** SIGKILLs every child still running, synchronously: for teardown and exit handlers. */
  static killAll(): void {
    for (const child of LIVE) child.kill("SIGKILL");
  }

  /** The exit status once the process has exited, else undefined. */
  get exit(): Deno.CommandStatus | undefined {
    return this.#exit;
  }

  /** Whether the process still runs. */
  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** The last few KB it wrote on stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Writes one line on the child's stdin (spawned with `stdin: "piped"`). */
  async send(line: string): Promise<void> {
    if (!this.#stdin) throw new Error(`${this.label}: spawned without stdin`);
    if (this.#exit) throw this.failure(`exited before "${line}" could be sent`);
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /**
   * The first line from index `after` on (default 0) that `test` accepts, waiting for it; fails
   * with the output when the process exits first or `timeoutMs` passes.
   */
  async waitForLine(
    test: (line: JsonLine) => boolean,
    options: { timeoutMs: number; after?: number; what?: string },
  ): Promise<JsonLine> {
    const deadline = Date.now() + options.timeoutMs;
    let seen = options.after ?? 0;
    let drained = false;
    while (true) {
      for (; seen < this.lines.length; seen++) {
        if (test(this.lines[seen])) return this.lines[seen];
      }
      const what = options.what ?? "the line it waited for";
      if (drained) throw this.failure(`exited before ${what}`);
      if (this.#exit) {
        // Its last lines may still be in the pipes: read them all, then look once more.
        await withTimeout(this.outputDone, 2_000);
        drained = true;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw this.failure(`no ${what} within ${options.timeoutMs} ms`);
      }
      await this.#nextChange(left);
    }
  }

  /** Sends `signal` (default SIGKILL) unless the process has exited. */
  kill(signal: Deno.Signal = "SIGKILL"): void {
    if (this.#exit) return;
    try {
      this.#child.kill(signal);
    } catch {
      // already gone
    }
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with the exit
   * status once its output is read.
   */
  async terminate(graceMs: number): Promise<Deno.CommandStatus> {
    this.kill("SIGTERM");
    if (!await withTimeout(this.status, graceMs)) this.kill("SIGKILL");
    const status = await this.status;
    await withTimeout(this.outputDone, 2_000);
    return status;
  }

  /** Waits for the process to exit on its own; SIGKILLs it and fails after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Deno.CommandStatus> {
    const status = await withTimeout(this.status, timeoutMs);
    if (!status) {
      const failure = this.failure(`did not exit within ${timeoutMs} ms`);
      this.kill("SIGKILL");
      await this.status;
      throw failure;
    }
    await this.outputDone;
    return status;
  }

  /** The last lines of its output, for failure messages. */
  tail(lines = 15): string {
    return [
      `${this.label} (pid ${this.pid}, exit ${JSON.stringify(this.#exit)})`,
      "stdout (last lines):",
      ...this.lines.slice(-lines).map((l) => JSON.stringify(l)),
      ...this.otherStdout.slice(-5),
      "stderr:",
      this.#stderr.trim().split("\n").slice(-lines).join("\n"),
    ].join("\n");
  }

  /** An error naming the process and what went wrong, with its output. */
  protected failure(what: string): Error {
    return new Error(`${this.label} (pid ${this.pid}) ${what}\n${this.tail()}`);
  }

  /** SIGKILLs the process if it still runs and waits until it and its output are done. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.status;
    await this.outputDone;
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  async #readStdout(log: Deno.FsFile | undefined): Promise<void> {
    const encoder = new TextEncoder();
    let buffered = "";
    for await (
      const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      if (log) await log.write(encoder.encode(chunk));
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        this.#onLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
      this.#wake();
    }
    if (buffered) this.#onLine(buffered);
    this.#wake();
  }

  #onLine(raw: string): void {
    const text = raw.trim();
    if (!text) return;
    if (text.startsWith("{")) {
      try {
        const line = JSON.parse(text);
        if (line && typeof line === "object" && !Array.isArray(line)) {
          this.lines.push(line);
          this.#options.onLine?.(line);
          return;
        }
      } catch {
        // not JSON after all
      }
    }
    this.otherStdout.push(text);
  }

  async #readStderr(log: Deno.FsFile | undefined): Promise<void> {
    const encoder = new TextEncoder();
    for await (
      const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      if (log) {
        await log.write(
          encoder.encode(chunk.replace(/^(?=.)/gm, "[stderr] ")),
        );
      }
      if (this.#options.echoStderr) {
        Deno.stderr.writeSync(encoder.encode(`[${this.label}] ${chunk}`));
      }
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEPT);
    }
  }
}

/** `work`'s value, or undefined when it has not settled within `ms`. */
async function withTimeout<T>(
  work: Promise<T>,
  ms: number,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((resolve) =>
        timer = setTimeout(() => resolve(undefined), ms)
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
