import type { QueueOverview } from "@bfmono/apps/bfDb/jobs/queueSettings.ts";

/** Histogram bucket bounds for claim latency, in seconds. */
const LATENCY_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll(
    '"',
    '\\"',
  );
}

/** The worker's counters, gauges and claim-latency histogram, rendered in Prometheus text format. */
export class WorkerMetrics {
  readonly completed = new Map<string, number>();
  readonly failed = new Map<string, number>();
  readonly retried = new Map<string, number>();
  readonly reaped = new Map<string, number>();
  readonly snoozed = new Map<string, number>();
  readonly cancelled = new Map<string, number>();
  running = 0;
  /** Served queues that are paused now. */
  pausedQueues: string[] = [];
  /** Claims a queue's pause or limits cut short, by queue and reason. */
  readonly heldBackClaims = new Map<string, number>();
  claimCount = 0;
  claimSeconds = 0;
  readonly claimBuckets = LATENCY_BUCKETS.map(() => 0);

  /** Counts one job outcome for `type`. */
  count(
    kind:
      | "completed"
      | "failed"
      | "retried"
      | "reaped"
      | "snoozed"
      | "cancelled",
    type: string,
    by = 1,
  ): void {
    const map = this[kind];
    map.set(type, (map.get(type) ?? 0) + by);
  }

  /** Counts a claim of `queue` that its pause or a limit cut short. */
  heldBack(queue: string, reason: "paused" | "concurrency" | "rate"): void {
    const key = JSON.stringify([queue, reason]);
    this.heldBackClaims.set(key, (this.heldBackClaims.get(key) ?? 0) + 1);
  }

  /** Records how long one claim statement took. */
  observeClaim(seconds: number): void {
    this.claimCount++;
    this.claimSeconds += seconds;
    LATENCY_BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) this.claimBuckets[i]++;
    });
  }

  /**
   * Renders everything, with the queue depth per type and the waiting and running jobs of each
   * queue (across every worker) measured at scrape time.
   */
  render(
    queueDepth: Record<string, number> | null,
    queues: readonly QueueOverview[] | null = null,
  ): string {
    const lines: string[] = [];
    const counter = (
      name: string,
      help: string,
      values: Map<string, number>,
    ) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [type, n] of [...values].sort()) {
        lines.push(`${name}{type="${escapeLabel(type)}"} ${n}`);
      }
    };
    counter(
      "bfjobs_completed_total",
      "Jobs completed by this worker.",
      this.completed,
    );
    counter(
      "bfjobs_failed_total",
      "Jobs dead-lettered by this worker.",
      this.failed,
    );
    counter(
      "bfjobs_retried_total",
      "Failed attempts scheduled for retry.",
      this.retried,
    );
    counter(
      "bfjobs_reaped_total",
      "Expired leases returned by this worker's reaper.",
      this.reaped,
    );
    counter(
      "bfjobs_snoozed_total",
      "Jobs their handler put off with snooze(ms).",
      this.snoozed,
    );
    counter(
      "bfjobs_cancelled_total",
      "Jobs this worker held when they were cancelled (their handler was aborted).",
      this.cancelled,
    );
    lines.push(
      "# HELP bfjobs_claims_held_back_total Claims a queue's pause or limit cut short.",
      "# TYPE bfjobs_claims_held_back_total counter",
    );
    for (const [key, n] of [...this.heldBackClaims].sort()) {
      const [queue, reason] = JSON.parse(key) as [string, string];
      lines.push(
        `bfjobs_claims_held_back_total{queue="${
          escapeLabel(queue)
        }",reason="${reason}"} ${n}`,
      );
    }
    lines.push(
      "# HELP bfjobs_queue_paused Served queues that are paused (1).",
      "# TYPE bfjobs_queue_paused gauge",
      ...this.pausedQueues.map((q) =>
        `bfjobs_queue_paused{queue="${escapeLabel(q)}"} 1`
      ),
    );
    lines.push(
      "# HELP bfjobs_running Jobs running in this worker now.",
      "# TYPE bfjobs_running gauge",
      `bfjobs_running ${this.running}`,
      "# HELP bfjobs_claim_duration_seconds Time one claim statement takes.",
      "# TYPE bfjobs_claim_duration_seconds histogram",
    );
    LATENCY_BUCKETS.forEach((bound, i) => {
      lines.push(
        `bfjobs_claim_duration_seconds_bucket{le="${bound}"} ${
          this.claimBuckets[i]
        }`,
      );
    });
    lines.push(
      `bfjobs_claim_duration_seconds_bucket{le="+Inf"} ${this.claimCount}`,
      `bfjobs_claim_duration_seconds_sum ${this.claimSeconds}`,
      `bfjobs_claim_duration_seconds_count ${this.claimCount}`,
    );
    if (queueDepth) {
      lines.push(
        "# HELP bfjobs_queue_depth Runnable available jobs per type.",
        "# TYPE bfjobs_queue_depth gauge",
      );
      for (const [type, n] of Object.entries(queueDepth).sort()) {
        lines.push(`bfjobs_queue_depth{type="${escapeLabel(type)}"} ${n}`);
      }
    }
    if (queues) {
      const gauge = (
        name: string,
        help: string,
        value: (q: QueueOverview) => number,
      ) => {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
        for (const q of queues) {
          lines.push(`${name}{queue="${escapeLabel(q.queue)}"} ${value(q)}`);
        }
      };
      gauge(
        "bfjobs_queue_waiting",
        "Jobs waiting in each queue (all workers).",
        (q) => q.waiting,
      );
      gauge(
        "bfjobs_queue_in_flight",
        "Jobs claimed or running in each queue (all workers).",
        (q) => q.running,
      );
      gauge(
        "bfjobs_queue_limited",
        "1 when a queue is paused or has a global concurrency or rate limit.",
        (q) =>
          q.paused || q.globalConcurrency !== null || q.rateLimit !== null
            ? 1
            : 0,
      );
    }
    return lines.join("\n") + "\n";
  }
}
