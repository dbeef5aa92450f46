import type { Sizes } from "../lib/config.ts";
import type { System } from "../systems/system.ts";

/** Everything one workload run needs. */
export interface RunContext {
  system: System;
  sizes: Sizes;
  /** Connection URL of this run's fresh database. */
  url: string;
  verbose: boolean;
}

/** Figures one run produced, by metric name (jobsPerSec, p99Ms, rssMb, ...). */
export type Metrics = Record<string, number>;
