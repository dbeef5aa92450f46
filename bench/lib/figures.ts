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
  ["W2 single create (jobs/s)", "W2single", "jobsPerSec", "higher", 0],
  ["W2 batch create (jobs/s)", "W2batch", "jobsPerSec", "higher", 0],
  ["W3 latency p50 (ms)", "W3", "p50Ms", "lower", 2],
  ["W3 latency p95 (ms)", "W3", "p95Ms", "lower", 2],
  ["W3 latency p99 (ms)", "W3", "p99Ms", "lower", 2],
  ["W3 latency max (ms)", "W3", "maxMs", "lower", 2],
  ["W4 drain at depth (jobs/s)", "W4", "jobsPerSec", "higher", 0],
];

/** The figures of the report table, in order. */
export const FIGURES: Figure[] = ROWS.map((
  [label, variant, metric, better, digits],
) => ({ label, variant, metric, better, digits }));
