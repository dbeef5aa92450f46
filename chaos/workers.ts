/**
 * Real `infra/bin/bft worker` processes for the chaos suite: spawn, SIGKILL, SIGTERM and
 * restart them by slot, capture each one's JSON log lines to a file, and notice any that exits
 * without having been told to (which the suite reports as a failure).
 *
 * @example
 * ```ts
 * const fleet = new WorkerFleet({ env: { DATABASE_URL: url }, logDir: "/tmp/logs", label: "s1" });
 * const a = fleet.start("a");
 * await a.ready(30_000);
 * fleet.kill("a");
 * await fleet.stopAll(20_000);
 * ```
 *
 * @module
 */

/** The launcher the suite runs, as an operator would. */
export const BFT = new URL("../infra/bin/bft", import.meta.url).pathname;

/** Every worker process alive in this runner, so exit handlers can end them. */
const LIVE = new Set<WorkerProcess>();

/** SIGKILLs every worker process this runner started and that still runs: for exit handlers. */
export function killAllWorkersSync(): void {
  for (const proc of LIVE) proc.kill();
}

/** How a worker process ended. */
export interface WorkerExit {
  code: number;
  signal: Deno.Signal | null;
  /** Epoch ms. */
  at: number;
  /** What the suite did to it first: nothing means it exited on its own. */
  cause: "kill" | "term" | null;
}

type LineWaiter = {
  test: (line: Record<string, unknown>) => boolean;
  resolve: () => void;
};

/** One worker process; see the module doc. */
export class WorkerProcess {
  readonly slot: string;
  readonly generation: number;
  readonly pid: number;
  readonly logFile: string;
  readonly startedAt = Date.now();
  /** The id it claims jobs as (from its "worker started" line). */
  workerId: string | undefined;
  /** Its /health port (from "health server listening"). */
  healthPort: number | undefined;
  /** Epoch ms of its "worker started" line. */
  readyAt: number | undefined;
  /** Set once it has exited. */
  exit: WorkerExit | undefined;
  /** Warn and error lines by message, for the report. */
  readonly problems = new Map<string, number>();
  /** The running-job count it logged when told to stop. */
  runningAtStop: number | undefined;
  /** Jobs it logged as unsettled when it stopped. */
  unsettledAtStop: number | undefined;
  /** Epoch ms of the SIGKILL or SIGTERM the suite sent. */
  signalledAt: number | undefined;
  #cause: "kill" | "term" | null = null;
  readonly #child: Deno.ChildProcess;
  readonly #status: Promise<WorkerExit>;
  readonly #waiters = new Set<LineWaiter>();
  readonly #io: Promise<unknown>;

  constructor(
    slot: string,
    generation: number,
    env: Record<string, string>,
    logFile: string,
  ) {
    this.slot = slot;
    this.generation = generation;
    this.logFile = logFile;
    this.#child = new Deno.Command(BFT, {
      args: ["worker"],
      env: { ...env, DENO: Deno.execPath() },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    LIVE.add(this);
    const file = Deno.openSync(logFile, {
      write: true,
      create: true,
      append: true,
    });
    this.#io = Promise.all([
      this.#pump(this.#child.stdout, file, true),
      this.#pump(this.#child.stderr, file, false),
    ]).finally(() => file.close()).catch(() => {});
    this.#status = this.#child.status.then((status) => {
      this.exit = {
        code: status.code,
        signal: status.signal,
        at: Date.now(),
        cause: this.#cause,
      };
      LIVE.delete(this);
      for (const waiter of this.#waiters) waiter.resolve();
      return this.exit;
    });
  }

  async #pump(
    stream: ReadableStream<Uint8Array>,
    file: Deno.FsFile,
    parse: boolean,
  ): Promise<void> {
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let rest = "";
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      await file.write(encoder.encode(parse ? text : prefixLines(text)));
      if (!parse) continue;
      rest += text;
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) this.#onLine(line);
    }
  }

  #onLine(raw: string): void {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof line !== "object" || line === null) return;
    const msg = String(line.msg ?? "");
    if (msg === "worker started" && typeof line.workerId === "string") {
      this.workerId = line.workerId;
      this.readyAt = Date.now();
    } else if (
      msg === "health server listening" && typeof line.port === "number"
    ) {
      this.healthPort = line.port;
    } else if (msg === "worker stopping" && typeof line.running === "number") {
      this.runningAtStop = line.running;
    } else if (msg === "worker stopped" && typeof line.unsettled === "number") {
      this.unsettledAtStop = line.unsettled;
    }
    if (line.level === "warn" || line.level === "error") {
      this.problems.set(msg, (this.problems.get(msg) ?? 0) + 1);
    }
    for (const waiter of this.#waiters) {
      if (waiter.test(line)) waiter.resolve();
    }
  }

  /** Who it is in reports: slot, generation and pid. */
  get name(): string {
    return `${this.slot}#${this.generation} (pid ${this.pid})`;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Waits for its "worker started" line; throws if it exits first or `timeoutMs` passes. */
  async ready(timeoutMs: number): Promise<void> {
    if (this.readyAt !== undefined) return;
    await this.#waitLine(
      (line) => line.msg === "worker started",
      timeoutMs,
      "worker started",
    );
  }

  async #waitLine(
    test: (line: Record<string, unknown>) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waiter: LineWaiter | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        if (this.exit) {
          reject(new Error(`worker ${this.name} exited before "${what}"`));
          return;
        }
        waiter = {
          test,
          resolve: () => {
            if (this.exit && this.readyAt === undefined) {
              reject(new Error(`worker ${this.name} exited before "${what}"`));
            } else resolve();
          },
        };
        this.#waiters.add(waiter);
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `worker ${this.name}: no "${what}" line within ${timeoutMs} ms (log: ${this.logFile})`,
              ),
            ),
          timeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      if (waiter) this.#waiters.delete(waiter);
    }
  }

  /** SIGKILL: the process dies at once, holding whatever it held. */
  kill(): void {
    if (!this.alive) return;
    this.#cause ??= "kill";
    this.signalledAt = Date.now();
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  /**
   * SIGTERM and wait for the exit; SIGKILLs it if it has not exited within `timeoutMs`
   * (the exit then shows signal SIGKILL, which the suite reports as an unclean stop).
   */
  async terminate(timeoutMs: number): Promise<WorkerExit> {
    if (this.alive) {
      this.#cause ??= "term";
      this.signalledAt = Date.now();
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // already gone
        }
        resolve();
      }, timeoutMs);
    });
    try {
      await Promise.race([this.#status, late]);
      return await this.#status;
    } finally {
      clearTimeout(timer);
      await this.#io;
    }
  }

  /** Resolves when the process has exited and its output is written. */
  async exited(): Promise<WorkerExit> {
    const exit = await this.#status;
    await this.#io;
    return exit;
  }
}

function prefixLines(text: string): string {
  return text.replace(/^(?=.)/gm, "[stderr] ");
}

/** Options for {@linkcode WorkerFleet}. */
export interface WorkerFleetOptions {
  /** The environment every worker gets (on top of this process's). */
  env: Record<string, string>;
  /** Where log files go. */
  logDir: string;
  /** Prefix of log file names, e.g. the scenario. */
  label: string;
  /** Told each new process id (the suite records them so a later run can end orphans). */
  onSpawn?: (pid: number) => void;
}

/** The workers of one scenario, by slot, with every process ever started; see the module doc. */
export class WorkerFleet {
  readonly history: WorkerProcess[] = [];
  readonly #current = new Map<string, WorkerProcess>();
  readonly #options: WorkerFleetOptions;

  constructor(options: WorkerFleetOptions) {
    this.#options = options;
  }

  /** Starts a worker in `slot` (a slot holds one process at a time). */
  start(slot: string): WorkerProcess {
    const existing = this.#current.get(slot);
    if (existing?.alive) {
      throw new Error(
        `worker slot ${slot} is already running ${existing.name}`,
      );
    }
    const generation = this.history.filter((p) => p.slot === slot).length + 1;
    const proc = new WorkerProcess(
      slot,
      generation,
      {
        ...Deno.env.toObject(),
        ...this.#options.env,
        PGAPPNAME: "chaos_worker",
      },
      `${this.#options.logDir}/${this.#options.label}-worker-${slot}${generation}.log`,
    );
    this.history.push(proc);
    this.#current.set(slot, proc);
    this.#options.onSpawn?.(proc.pid);
    return proc;
  }

  /** The current process of `slot`. */
  get(slot: string): WorkerProcess {
    const proc = this.#current.get(slot);
    if (!proc) throw new Error(`no worker in slot ${slot}`);
    return proc;
  }

  /** SIGKILLs the worker in `slot` and waits for it to be gone. */
  async kill(slot: string): Promise<WorkerProcess> {
    const proc = this.get(slot);
    proc.kill();
    await proc.exited();
    return proc;
  }

  /** Worker ids of every process the suite SIGKILLed. */
  killedWorkerIds(): Set<string> {
    return new Set(
      this.history.filter((p) => p.exit?.cause === "kill" && p.workerId)
        .map((p) => p.workerId!),
    );
  }

  /** Processes that exited without being told to. */
  exitedOnTheirOwn(): WorkerProcess[] {
    return this.history.filter((p) => p.exit && p.exit.cause === null);
  }

  /** Processes alive now. */
  alive(): WorkerProcess[] {
    return this.history.filter((p) => p.alive);
  }

  /** SIGTERMs every live worker at once and waits for each (bounded by `timeoutMs`). */
  async stopAll(timeoutMs: number): Promise<WorkerProcess[]> {
    const live = this.alive();
    await Promise.all(live.map((p) => p.terminate(timeoutMs)));
    return live;
  }

  /** SIGKILLs everything still alive, synchronously: for teardown and exit handlers. */
  killAll(): void {
    for (const proc of this.alive()) proc.kill();
  }

  /** Waits until every process has exited and its log is written, at most `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(this.history.map((p) => p.exited())),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }
}
