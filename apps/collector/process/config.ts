import { EMBEDDED_DATA_DIR } from "@bfmono/apps/bfDb/storage/openBackend.ts";
import {
  POOLER_MODES,
  type PoolerMode,
} from "@bfmono/apps/bfDb/storage/pooler.ts";
import { checkQueueName } from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import {
  DURATION_EXAMPLES,
  parseDuration,
} from "@bfmono/packages/duration/duration.ts";
import type { Retention } from "../worker/duties/pruner.ts";
import { DEFAULT_LOOP_CONFIG } from "../worker/loopConfig.ts";
import type { OperatorAccess } from "../web/operatorAccess.ts";

/** The worker's settings, read from the environment and validated at start. */
export interface WorkerConfig {
  /** postgres:// URL; undefined means the embedded database under `.bfdb/`. */
  databaseUrl: string | undefined;
  /** Directory of the embedded database, used when `databaseUrl` is undefined. */
  embeddedDataDir: string;
  /** How long one attempt to reach the database may take before it counts as failed. */
  connectTimeoutMs: number;
  /** Most pool connections the worker opens (DATABASE_POOL_SIZE); LISTEN takes one more. */
  poolSize: number;
  /** What stands between the worker and the server (DATABASE_POOLER). */
  pooler: PoolerMode;
  /** Where the LISTEN connection goes when not to `databaseUrl` (DATABASE_LISTEN_URL). */
  listenUrl: string | undefined;
  concurrency: number;
  jobTimeoutMs: number;
  leaseMs: number;
  /** 0 picks a free port. */
  healthCheckPort: number;
  environment: string;
  posthogHost: string | undefined;
  posthogApiKey: string | undefined;
  /** Most jobs claimed ahead of free slots (only while jobs are short). */
  prefetch: number;
  /**
   * How often to look for jobs when no NOTIFY arrives; unset, the worker's default, which is
   * shorter when it has no LISTEN connection (see loopConfig.ts).
   */
  pollIntervalMs: number | undefined;
  /** The queues this worker claims from (WORKER_QUEUES); default `"every"`: every queue. */
  queues: readonly string[] | "every";
  /** Per-queue slots of this worker (`emails=2` in WORKER_QUEUES). */
  queueSlots: Record<string, number>;
  /** How long running jobs may take to finish after SIGINT/SIGTERM. */
  shutdownGraceMs: number;
  logLevel: "debug" | "info" | "warn" | "error";
  /** How long finished jobs are kept (JOB_RETENTION, JOB_RETENTION_FAILED). */
  retention: Retention;
  /** Who may use the operator routes (DASHBOARD_TOKEN, DASHBOARD_HOSTS). */
  operatorAccess: OperatorAccess;
}

/** A setting has a value the worker cannot use; the message names the variable and what it expects. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly variable: string, expected: string, got: string) {
    super(`${variable} must be ${expected}; got ${JSON.stringify(got)}`);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Pool connections a `bft worker` opens at most (DATABASE_POOL_SIZE), whatever its concurrency:
 * claims, settles and duties are batched, so a few connections carry them (README, "Connection
 * budget" under "Connections and poolers", has the measurement).
 */
export const DEFAULT_DATABASE_POOL_SIZE = 3;

function integer(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw.trim());
  if (
    !/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min ||
    value > max
  ) {
    throw new ConfigError(name, `a whole number from ${min} to ${max}`, raw);
  }
  return value;
}

/** An optional whole number: undefined when unset, else checked as `integer` does. */
function optionalInteger(
  env: Env,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  return integer(env, name, min, min, max);
}

function duration(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const ms = parseDuration(raw.trim());
  if (ms === null || ms < 3_600_000) {
    throw new ConfigError(
      name,
      `${DURATION_EXAMPLES}, from 1h to 100 years (finished jobs go a whole day at a time)`,
      raw,
    );
  }
  return ms;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new ConfigError(
      name,
      `a URL starting with ${protocols.join(" or ")}`,
      raw,
    );
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(
      name,
      `a URL starting with ${protocols.join(" or ")}`,
      raw,
    );
  }
  return raw.trim();
}

/**
 * WORKER_QUEUES: comma-separated queue names, each optionally `=N`, the most jobs of that queue
 * this worker runs at once (`default=10,emails=2`); a queue without `=N` shares all slots.
 */
function queueList(
  env: Env,
  name: string,
  fallback: readonly string[] | "every",
): { queues: readonly string[] | "every"; queueSlots: Record<string, number> } {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") {
    return { queues: fallback, queueSlots: {} };
  }
  const expected =
    "a comma-separated list of queue names (1-200 characters each, no control characters), each optionally =N slots (1-1000), e.g. default=10,emails=2";
  const queues: string[] = [];
  const queueSlots: Record<string, number> = {};
  for (const item of raw.split(",")) {
    const [queue, slots, extra] = item.trim().split("=").map((p) => p.trim());
    try {
      checkQueueName(queue);
    } catch {
      throw new ConfigError(name, expected, raw);
    }
    if (extra !== undefined || (slots !== undefined && !/^\d+$/.test(slots))) {
      throw new ConfigError(name, expected, raw);
    }
    if (slots !== undefined) {
      const n = Number(slots);
      if (n < 1 || n > 1000) throw new ConfigError(name, expected, raw);
      queueSlots[queue] = n;
    }
    if (queues.includes(queue)) {
      throw new ConfigError(name, `${expected}, each named once`, raw);
    }
    queues.push(queue);
  }
  return { queues, queueSlots };
}

function oneOf<T extends string>(
  env: Env,
  name: string,
  values: readonly T[],
  fallback: T,
): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  if (!values.includes(raw.trim() as T)) {
    throw new ConfigError(name, `one of ${values.join(", ")}`, raw);
  }
  return raw.trim() as T;
}

/**
 * The `DATABASE_URL` setting: a postgres:// or postgresql:// URL, or undefined (unset or empty)
 * for the embedded database; throws ConfigError otherwise. The worker and the operator tasks
 * read it the same way.
 */
export function databaseUrlFromEnv(
  env: Env = Deno.env.toObject(),
): string | undefined {
  return url(env, "DATABASE_URL", ["postgres:", "postgresql:"]);
}

/**
 * The `BFDB_DATA_DIR` setting: where the embedded database lives when `DATABASE_URL` is unset
 * (default `.bfdb/` at the repo root); relative paths are taken from the working directory.
 */
export function embeddedDataDirFromEnv(env: Env = Deno.env.toObject()): string {
  const raw = env.BFDB_DATA_DIR?.trim();
  if (!raw) return EMBEDDED_DATA_DIR;
  if (raw.includes("\u0000")) {
    throw new ConfigError("BFDB_DATA_DIR", "a directory path", raw);
  }
  return raw.startsWith("/") ? raw : `${Deno.cwd()}/${raw}`;
}

/**
 * DASHBOARD_TOKEN: when set (16 to 200 visible ASCII characters), every operator request must
 * carry it; the CLI sends it from the same variable.
 */
export function dashboardTokenFromEnv(
  env: Env = Deno.env.toObject(),
): string | undefined {
  const raw = env.DASHBOARD_TOKEN;
  if (raw === undefined || raw === "") return undefined;
  if (!/^[\x21-\x7e]{16,200}$/.test(raw)) {
    throw new ConfigError(
      "DASHBOARD_TOKEN",
      "16 to 200 visible ASCII characters (no spaces)",
      raw.length > 40 ? `${raw.slice(0, 40)}…` : raw,
    );
  }
  return raw;
}

/** DASHBOARD_HOSTS: comma-separated host names the operator routes may be reached by. */
function hostList(env: Env): string[] {
  const raw = env.DASHBOARD_HOSTS;
  if (raw === undefined || raw.trim() === "") return [];
  const hosts = raw.split(",").map((h) => h.trim().toLowerCase());
  if (
    hosts.some((h) => !/^[a-z0-9.-]{1,253}$|^\[[0-9a-f:.]{2,45}\]$/.test(h))
  ) {
    throw new ConfigError(
      "DASHBOARD_HOSTS",
      "a comma-separated list of host names without ports, e.g. ops.example.com",
      raw,
    );
  }
  return hosts;
}

/** DASHBOARD_TOKEN, DASHBOARD_HOSTS and DASHBOARD_READONLY: who may use the operator routes. */
export function operatorAccessFromEnv(
  env: Env = Deno.env.toObject(),
): OperatorAccess {
  return {
    token: dashboardTokenFromEnv(env),
    hosts: hostList(env),
    readOnly: oneOf(env, "DASHBOARD_READONLY", ["0", "1"], "0") === "1",
  };
}

/**
 * DATABASE_POOLER and DATABASE_LISTEN_URL: what stands between us and the server (`none` or
 * `transaction`), and where LISTEN goes when not to DATABASE_URL; both need DATABASE_URL. The
 * worker and the operator tasks read them the same way.
 */
export function databaseConnectionFromEnv(
  env: Env = Deno.env.toObject(),
): { pooler: PoolerMode; listenUrl: string | undefined } {
  const pooler = oneOf(env, "DATABASE_POOLER", POOLER_MODES, "none");
  const listenUrl = url(env, "DATABASE_LISTEN_URL", [
    "postgres:",
    "postgresql:",
  ]);
  const databaseUrl = databaseUrlFromEnv(env);
  if (!databaseUrl && pooler !== "none") {
    throw new ConfigError(
      "DATABASE_POOLER",
      "none (or unset) without DATABASE_URL: the embedded database has no pooler",
      env.DATABASE_POOLER ?? "",
    );
  }
  if (!databaseUrl && listenUrl) {
    throw new ConfigError(
      "DATABASE_LISTEN_URL",
      "unset without DATABASE_URL: the embedded database needs no connection to listen on",
      env.DATABASE_LISTEN_URL ?? "",
    );
  }
  return { pooler, listenUrl };
}

/** Reads and validates the worker configuration; throws ConfigError on the first bad value. */
export function loadConfig(env: Env = Deno.env.toObject()): WorkerConfig {
  const jobTimeoutMs = integer(
    env,
    "JOB_TIMEOUT_MS",
    DEFAULT_LOOP_CONFIG.jobTimeoutMs,
    1,
    86_400_000,
  );
  const leaseMs = integer(
    env,
    "JOB_LEASE_MS",
    DEFAULT_LOOP_CONFIG.leaseMs,
    1_000,
    3_600_000,
  );
  const posthogApiKey = env.POSTHOG_API_KEY?.trim() || undefined;
  const databaseUrl = databaseUrlFromEnv(env);
  const config: WorkerConfig = {
    databaseUrl,
    embeddedDataDir: embeddedDataDirFromEnv(env),
    connectTimeoutMs: integer(
      env,
      "DATABASE_CONNECT_TIMEOUT_MS",
      10_000,
      100,
      600_000,
    ),
    poolSize: integer(
      env,
      "DATABASE_POOL_SIZE",
      DEFAULT_DATABASE_POOL_SIZE,
      2,
      100,
    ),
    ...databaseConnectionFromEnv(env),
    concurrency: integer(
      env,
      "WORKER_CONCURRENCY",
      DEFAULT_LOOP_CONFIG.concurrency,
      1,
      1_000,
    ),
    jobTimeoutMs,
    leaseMs,
    healthCheckPort: integer(env, "HEALTH_CHECK_PORT", 8080, 0, 65_535),
    environment: oneOf(env, "DENO_ENV", [
      "development",
      "test",
      "staging",
      "production",
    ], "development"),
    posthogHost: url(env, "POSTHOG_HOST", ["http:", "https:"]),
    posthogApiKey,
    prefetch: integer(
      env,
      "WORKER_PREFETCH",
      DEFAULT_LOOP_CONFIG.prefetch,
      0,
      10_000,
    ),
    ...queueList(env, "WORKER_QUEUES", DEFAULT_LOOP_CONFIG.queues),
    pollIntervalMs: optionalInteger(
      env,
      "WORKER_POLL_INTERVAL_MS",
      10,
      600_000,
    ),
    shutdownGraceMs: integer(
      env,
      "WORKER_SHUTDOWN_GRACE_MS",
      DEFAULT_LOOP_CONFIG.shutdownGraceMs,
      0,
      3_600_000,
    ),
    operatorAccess: operatorAccessFromEnv(env),
    logLevel: oneOf(
      env,
      "LOG_LEVEL",
      ["debug", "info", "warn", "error"],
      "info",
    ),
    retention: {
      completedMs: duration(
        env,
        "JOB_RETENTION",
        DEFAULT_LOOP_CONFIG.retention.completedMs,
      ),
      failedMs: duration(
        env,
        "JOB_RETENTION_FAILED",
        DEFAULT_LOOP_CONFIG.retention.failedMs,
      ),
    },
  };
  if (posthogApiKey && !config.posthogHost) {
    throw new ConfigError(
      "POSTHOG_HOST",
      "set when POSTHOG_API_KEY is set (e.g. https://us.i.posthog.com)",
      "",
    );
  }
  return config;
}
