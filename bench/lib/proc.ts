import { now, sleep } from "./clock.ts";

/** One line of the bench protocol (see bench/peers/lib/proto.mjs). */
export interface ProtoEvent {
  event: string;
  t?: number;
  [key: string]: unknown;
}

/** How to start one bench process. */
export interface Spawn {
  cmd: string;
  args: string[];
  env: Record<string, string>;
  /** Working directory (default: the harness's). */
  cwd?: string;
  /** Label used in errors and logs. */
  label: string;
  verbose?: boolean;
}

const STDERR_TAIL = 8_000;

/** Every process started and not yet ended, so an interrupted bench can kill them all. */
const live = new Set<BenchProcess>();

/** Kills every bench process still running (SIGKILL). */
export function killAllProcesses(): void {
  for (const p of live) p.kill();
}

/**
 * A child process speaking the bench's JSON-lines protocol on stdout.
 *
 * @example
 * ```ts
 * const p = BenchProcess.start({ cmd: "node", args: ["w.mjs"], env: {}, label: "w" });
 * await p.waitFor((e) => e.event === "loaded", 30_000);
 * ```
 */
export class BenchProcess {
  readonly label: string;
  readonly pid: number;
  readonly events: ProtoEvent[] = [];
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stderr = "";
  #waiters = new Set<() => void>();
  #exit: Promise<Deno.CommandStatus>;
  #drained: Promise<unknown>;
  #exited: Deno.CommandStatus | undefined;

  private constructor(spec: Spawn) {
    this.label = spec.label;
    this.#child = new Deno.Command(spec.cmd, {
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    this.#stdin = this.#child.stdin.getWriter();
    this.#drained = Promise.all([
      this.#readStdout(),
      this.#readStderr(spec.verbose ?? false),
    ]).catch(() => {});
    live.add(this);
    this.#exit = this.#child.status.then((s) => {
      this.#exited = s;
      live.delete(this);
      this.#wake();
      return s;
    });
  }

  /** Starts a bench process. */
  static start(spec: Spawn): BenchProcess {
    return new BenchProcess(spec);
  }

  /** The exit status once the process has ended. */
  get exited(): Deno.CommandStatus | undefined {
    return this.#exited;
  }

  /** The last few KB the process wrote on stderr. */
  get stderrTail(): string {
    return this.#stderr;
  }

  /** Writes one line on the child's stdin. */
  async send(line: string): Promise<void> {
    if (this.#exited) {
      throw this.#failure(`exited before "${line}" could be sent`);
    }
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /**
   * Resolves with the first event (already seen or to come) matching `pred`; rejects when the
   * process exits first or `timeoutMs` passes.
   */
  async waitFor(
    pred: (e: ProtoEvent) => boolean,
    timeoutMs: number,
  ): Promise<ProtoEvent> {
    const deadline = now() + timeoutMs;
    let seen = 0;
    let ended = false;
    while (true) {
      for (; seen < this.events.length; seen++) {
        if (pred(this.events[seen])) return this.events[seen];
      }
      if (ended) throw this.#failure(`exited with code ${this.#exited?.code}`);
      if (this.#exited) {
        // Its last lines may still be in the pipes: read them all, then look once more.
        await Promise.race([this.#drained, sleep(2_000)]);
        ended = true;
        continue;
      }
      const left = deadline - now();
      if (left <= 0) throw this.#failure(`timed out after ${timeoutMs} ms`);
      await this.#nextChange(left);
    }
  }

  /** Waits until the process ends by itself, within `timeoutMs`, and returns its status. */
  async wait(timeoutMs: number): Promise<Deno.CommandStatus> {
    const timer = sleep(timeoutMs).then(() => undefined);
    const status = await Promise.race([this.#exit, timer]);
    if (!status) {
      this.kill();
      throw this.#failure(`did not exit within ${timeoutMs} ms`);
    }
    return status;
  }

  /** Sends SIGTERM, waits up to `graceMs` for a clean exit, then SIGKILL; reads its last lines. */
  async stop(graceMs = 15_000): Promise<Deno.CommandStatus> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = sleep(graceMs).then(() => undefined);
      if (!await Promise.race([this.#exit, timer])) this.kill();
    }
    const status = await this.#exit;
    await Promise.race([this.#drained, sleep(2_000)]);
    return status;
  }

  /** Kills the process at once (SIGKILL); safe to call on an ended process. */
  kill(): void {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  #failure(what: string): Error {
    const tail = this.#stderr.trim().split("\n").slice(-15).join("\n");
    return new Error(
      `${this.label} (pid ${this.pid}) ${what}${
        tail ? `\n--- stderr ---\n${tail}` : ""
      }`,
    );
  }

  #wake(): void {
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }

  #nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.#waiters;
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  async #readStdout(): Promise<void> {
    let buf = "";
    for await (
      const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line.startsWith("{")) {
          try {
            this.events.push(JSON.parse(line));
          } catch {
            this.#stderr += `[bad protocol line] ${line}\n`;
          }
        } else if (line) this.#stderr += `[stdout] ${line}\n`;
      }
      this.#wake();
    }
  }

  async #readStderr(verbose: boolean): Promise<void> {
    for await (
      const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      if (verbose) {
        Deno.stderr.writeSync(
          new TextEncoder().encode(`[${this.label}] ${chunk}`),
        );
      }
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    }
  }
}

/**
 * Peak resident memory (VmHWM) of a live process in MB, from /proc; undefined when unreadable.
 */
export function peakRssMb(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = status.match(/^VmHWM:\s+(\d+)\s+kB/m);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
