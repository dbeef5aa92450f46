/** One row of the report: a metric of a scenario, and which direction is better. */
export interface Figure {
  label: string;
  variant: string;
  metric: string;
  better: "higher" | "lower";
  digits: number;
}

type Row = [string, string, string, "higher" | "lower", number];

const ROWS: Row[] = [
  ["W1 drain, 1 worker (jobs/s)", "W1", "jobsPerSec", "higher", 0],
  ["W1 drain, 2 workers (jobs/s)", "W1x2", "jobsPerSec", "higher", 0],
  ["W1 worker peak RSS (MB)", "W1", "rssMb", "lower", 0],
  ["W1 WAL per job drained (bytes)", "W1", "walBytesPerJob", "lower", 0],
  [
    "W1 drain, its queue at globalConcurrency 10 (jobs/s)",
    "W1limit",
    "jobsPerSec",
    "higher",
    0,
  ],
  ["W2 single create (jobs/s)", "W2single", "jobsPerSec", "higher", 0],
  ["W2 batch create (jobs/s)", "W2batch", "jobsPerSec", "higher", 0],
  ["W3 latency p50 (ms)", "W3", "p50Ms", "lower", 2],
  ["W3 latency p95 (ms)", "W3", "p95Ms", "lower", 2],
  ["W3 latency p99 (ms)", "W3", "p99Ms", "lower", 2],
  ["W3 latency max (ms)", "W3", "maxMs", "lower", 2],
  ["W4 drain at depth (jobs/s)", "W4", "jobsPerSec", "higher", 0],
  [
    "W1 drain through PgBouncer (transaction mode), 1 worker (jobs/s)",
    "W1pool",
    "jobsPerSec",
    "higher",
    0,
  ],
  [
    "W3 through PgBouncer, no LISTEN (polling): latency p50 (ms)",
    "W3pool",
    "p50Ms",
    "lower",
    2,
  ],
  [
    "W3 through PgBouncer, no LISTEN (polling): latency p99 (ms)",
    "W3pool",
    "p99Ms",
    "lower",
    2,
  ],
  [
    "W3 through PgBouncer, LISTEN direct: latency p50 (ms)",
    "W3poolListen",
    "p50Ms",
    "lower",
    2,
  ],
  [
    "W3 through PgBouncer, LISTEN direct: latency p99 (ms)",
    "W3poolListen",
    "p99Ms",
    "lower",
    2,
  ],
  [
    "W5 saturation: durable completions/s, median 10 s window",
    "W5",
    "completionsMedian",
    "higher",
    0,
  ],
  [
    "W5 saturation: lowest 10 s window (jobs/s)",
    "W5",
    "completionsLowest",
    "higher",
    0,
  ],
  ["W5 saturation: first minute (jobs/s)", "W5", "firstMinute", "higher", 0],
  ["W5 saturation: last minute (jobs/s)", "W5", "lastMinute", "higher", 0],
  ["W5 saturation: pickup p99 (ms)", "W5", "pickupP99Ms", "lower", 0],
  ["W5 saturation: jobs run more than once", "W5", "ranTwice", "lower", 0],
  ["W5 saturation: database size at end (MB)", "W5", "databaseMb", "lower", 0],
  ["W5 saturation: dead rows at end", "W5", "deadRows", "lower", 0],
];

/** The figures of the report table, in order. */
export const FIGURES: Figure[] = ROWS.map((
  [label, variant, metric, better, digits],
) => ({ label, variant, metric, better, digits }));
