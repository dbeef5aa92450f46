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

import { JsonLineProcess } from "@bfmono/packages/childProcess/jsonLineProcess.ts";

/** The launcher the suite runs, as an operator would. */
export const BFT = new URL("../infra/bin/bft", import.meta.url).pathname;

/** SIGKILLs every worker process this runner started and that still runs: for exit handlers. */
export function killAllWorkersSync(): void {
  JsonLineProcess.killAll();
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

/** One worker process; see the module doc. */
export class WorkerProcess extends JsonLineProcess {
  readonly slot: string;
  readonly generation: number;
  readonly logFile: string;
  readonly startedAt = Date.now();
  /** The id it claims jobs as (from its "worker started" line). */
  workerId: string | undefined;
  /** Its /health port (from "health server listening"). */
  healthPort: number | undefined;
  /** Epoch ms of its "worker started" line. */
  readyAt: number | undefined;
  /** Set once it has exited. */
  ended: WorkerExit | undefined;
  /** Warn and error lines by message, for the report. */
  readonly problems = new Map<string, number>();
  /** The running-job count it logged when told to stop. */
  runningAtStop: number | undefined;
  /** Jobs it logged as unsettled when it stopped. */
  unsettledAtStop: number | undefined;
  /** Epoch ms of the SIGKILL or SIGTERM the suite sent. */
  signalledAt: number | undefined;
  #cause: "kill" | "term" | null = null;
  readonly #ended: Promise<WorkerExit>;

  constructor(
    slot: string,
    generation: number,
    env: Record<string, string>,
    logFile: string,
  ) {
    super({
      command: BFT,
      args: ["worker"],
      env: { ...env, DENO: Deno.execPath() },
      label: `${slot}#${generation}`,
      logFile,
      onLine: (line) => this.#onLine(line),
    });
    this.slot = slot;
    this.generation = generation;
    this.logFile = logFile;
    this.#ended = this.status.then((status) => {
      this.ended = {
        code: status.code,
        signal: status.signal,
        at: Date.now(),
        cause: this.#cause,
      };
      return this.ended;
    });
  }

  #onLine(line: Record<string, unknown>): void {
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
  }

  /** Who it is in reports: slot, generation and pid. */
  get name(): string {
    return `${this.slot}#${this.generation} (pid ${this.pid})`;
  }

  /** Waits for its "worker started" line; throws if it exits first or `timeoutMs` passes. */
  async ready(timeoutMs: number): Promise<void> {
    if (this.readyAt !== undefined) return;
    await this.waitForLine((line) => line.msg === "worker started", {
      timeoutMs,
      what: `a "worker started" line (log: ${this.logFile})`,
    });
  }

  /** SIGKILL: the process dies at once, holding whatever it held. */
  override kill(signal: Deno.Signal = "SIGKILL"): void {
    if (!this.alive) return;
    this.#cause ??= signal === "SIGKILL" ? "kill" : "term";
    this.signalledAt ??= Date.now();
    super.kill(signal);
  }

  /**
   * SIGTERM and wait for the exit; SIGKILLs it if it has not exited within `timeoutMs`
   * (the exit then shows signal SIGKILL, which the suite reports as an unclean stop).
   */
  async stop(timeoutMs: number): Promise<WorkerExit> {
    await this.terminate(timeoutMs);
    return await this.#ended;
  }

  /** Resolves when the process has exited and its output is written. */
  async exited(): Promise<WorkerExit> {
    const ended = await this.#ended;
    await this.outputDone;
    return ended;
  }
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
      this.history.filter((p) => p.ended?.cause === "kill" && p.workerId)
        .map((p) => p.workerId!),
    );
  }

  /** Processes that exited without being told to. */
  exitedOnTheirOwn(): WorkerProcess[] {
    return this.history.filter((p) => p.ended && p.ended.cause === null);
  }

  /** Processes alive now. */
  alive(): WorkerProcess[] {
    return this.history.filter((p) => p.alive);
  }

  /** SIGTERMs every live worker at once and waits for each (bounded by `timeoutMs`). */
  async stopAll(timeoutMs: number): Promise<WorkerProcess[]> {
    const live = this.alive();
    await Promise.all(live.map((p) => p.stop(timeoutMs)));
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
