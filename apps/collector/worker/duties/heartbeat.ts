import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { Periodic } from "./periodic.ts";
import type { DutyHooks } from "./dutyHooks.ts";

/** What the heartbeat needs from the worker it serves. */
export interface HeartbeatHost extends DutyHooks {
  workerId: string;
  leaseMs: number;
  /**
   * Ids of the jobs the worker is running or has claimed ahead. Finished jobs waiting to be
   * written are not among them: their settle is the next write to their rows, and renewing them
   * too would put two statements of one worker on one row.
   */
  heldIds(): string[];
  /** Called with the ids the database still credits to the worker, and when the ask was sent. */
  onRenewed(held: Set<string>, sentAt: number): void | Promise<void>;
  /** Runs before each renewal (the worker re-subscribes to wake-ups it lost). */
  beforeRenewal?(): Promise<void>;
  /** Renews the worker's own entry in the registry of live workers, busy or idle. */
  renewRegistration?(): Promise<void>;
}

/** How often to renew: three times per lease, so one missed beat does not lose jobs. */
export function heartbeatIntervalMs(leaseMs: number): number {
  return Math.max(100, Math.floor(leaseMs / 3));
}

/**
 * The heartbeat duty: renews the worker's registry entry, extends the leases of the jobs a
 * worker holds, one renewal at a time, and tells the worker which it lost (their lease lapsed and another worker may own them now).
 *
 * @example
 * ```ts
 * const heartbeat = new Heartbeat(host);
 * heartbeat.start();
 * await heartbeat.renewNow(); // e.g. before reaping
 * await heartbeat.stop();
 * ```
 */
export class Heartbeat {
  readonly #host: HeartbeatHost;
  readonly #periodic: Periodic;
  #renewing: Promise<void> | undefined;

  constructor(host: HeartbeatHost) {
    this.#host = host;
    this.#periodic = new Periodic({
      name: "heartbeat",
      intervalMs: heartbeatIntervalMs(host.leaseMs),
      run: () => this.renewNow(),
      onError: (error) => host.onError("heartbeat", error),
      timeoutMs: host.dutyTimeoutMs,
    });
  }

  /** Starts renewing every interval. */
  start(): void {
    this.#periodic.start();
  }

  /** Renews now, or joins the renewal in flight: two never overlap. */
  renewNow(): Promise<void> {
    this.#renewing ??= this.#renew().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #renew(): Promise<void> {
    const host = this.#host;
    await host.beforeRenewal?.();
    await host.renewRegistration?.();
    const sentAt = performance.now();
    const ids = host.heldIds();
    if (ids.length === 0) {
      host.onOk();
      return;
    }
    const held = new Set(
      await BfJob.heartbeat(host.workerId, host.leaseMs, ids),
    );
    host.onOk();
    await host.onRenewed(held, sentAt);
  }

  /** Stops renewing; waits for a renewal in flight, at most `maxWaitMs`. */
  stop(maxWaitMs?: number): Promise<void> {
    return this.#periodic.stop(maxWaitMs);
  }
}
