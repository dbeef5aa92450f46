import { JsonLineProcess } from "@bfmono/packages/childProcess/jsonLineProcess.ts";

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

/** Kills every bench process still running (SIGKILL). */
export function killAllProcesses(): void {
  JsonLineProcess.killAll();
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
export class BenchProcess extends JsonLineProcess {
  /** Starts a bench process. */
  static start(spec: Spawn): BenchProcess {
    return new BenchProcess({
      command: spec.cmd,
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      label: spec.label,
      stdin: "piped",
      echoStderr: spec.verbose ?? false,
    });
  }

  /** Every protocol event so far. */
  get events(): ProtoEvent[] {
    return this.lines as ProtoEvent[];
  }

  /** The exit status once the process has ended. */
  get exited(): Deno.CommandStatus | undefined {
    return this.exit;
  }

  /** The last few KB the process wrote on stderr. */
  get stderrTail(): string {
    return this.stderr;
  }

  /**
   * Resolves with the first event (already seen or to come) matching `pred`; rejects when the
   * process exits first or `timeoutMs` passes.
   */
  async waitFor(
    pred: (e: ProtoEvent) => boolean,
    timeoutMs: number,
  ): Promise<ProtoEvent> {
    return await this.waitForLine((line) => pred(line as ProtoEvent), {
      timeoutMs,
      what: "the event it waited for",
    }) as ProtoEvent;
  }

  /** Waits until the process ends by itself, within `timeoutMs`, and returns its status. */
  wait(timeoutMs: number): Promise<Deno.CommandStatus> {
    return this.waitForExit(timeoutMs);
  }

  /** Sends SIGTERM, waits up to `graceMs` for a clean exit, then SIGKILL; reads its last lines. */
  stop(graceMs = 15_000): Promise<Deno.CommandStatus> {
    return this.terminate(graceMs);
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
