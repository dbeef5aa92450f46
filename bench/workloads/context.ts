import type { Sizes } from "../lib/config.ts";
import type { System } from "../systems/system.ts";

/** Everything one workload run needs. */
export interface RunContext {
  system: System;
  sizes: Sizes;
  /** Connection URL of this run's fresh database (the harness's own reads always use it). */
  url: string;
  verbose: boolean;
  /**
   * When the run goes through a connection pooler: the URL the system's processes use instead
   * of `url` (schema setup excepted), and the settings the system needs there.
   */
  pooler?: { url: string; env: Record<string, string> };
}

/** Figures one run produced, by metric name (jobsPerSec, p99Ms, rssMb, ...). */
export type Metrics = Record<string, number>;
