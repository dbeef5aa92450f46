/**
 * A tiny structured logger: one JSON object per line.
 *
 * Every line starts with `level`, `ts` (ISO 8601), `msg`, `service` and
 * `environment`, followed by the logger's bound fields and the call's fields.
 * All levels go to stdout by default (log shippers then read one stream);
 * pass `write` to send lines elsewhere. A field named like a core key is
 * written as `field_<key>` so it can never overwrite one. Error values (at any
 * depth) become `{ name, message, stack }` plus `cause` and own properties.
 *
 * @example
 * ```ts
 * const log = createLogger({ service: "collector", environment: "development" });
 * const jobLog = log.child({ jobId: "j1", jobType: "track_usage" });
 * jobLog.info("job completed", { ms: 12 });
 * // {"level":"info","ts":"…","msg":"job completed","service":"collector","environment":"development","jobId":"j1","jobType":"track_usage","ms":12}
 * ```
 *
 * @module
 */

/** The log levels, from most to least verbose. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Extra structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Name of the emitting service, on every line. */
  service: string;
  /** Deployment environment (e.g. `DENO_ENV`), on every line. */
  environment: string;
  /** Lines below this level are dropped. Default `"info"`. */
  level?: LogLevel;
  /** Receives each line (no trailing newline). Default: stdout. */
  write?: (line: string, level: LogLevel) => void;
  /** Clock for `ts`; injectable for tests. Default `() => new Date()`. */
  now?: () => Date;
}

/** A structured logger; see {@linkcode createLogger}. */
export interface Logger {
  /** The minimum level this logger writes. */
  readonly level: LogLevel;
  /** Logs at `debug`. */
  debug(msg: string, fields?: LogFields): void;
  /** Logs at `info`. */
  info(msg: string, fields?: LogFields): void;
  /** Logs at `warn`. */
  warn(msg: string, fields?: LogFields): void;
  /** Logs at `error`. */
  error(msg: string, fields?: LogFields): void;
  /** Returns a logger that adds `fields` to every line (child wins on clashes). */
  child(fields: LogFields): Logger;
}

const RESERVED = new Set(["level", "ts", "msg", "service", "environment"]);
const encoder = new TextEncoder();

/** Parses a level name such as `LOG_LEVEL`; unset or empty gives `fallback`. */
export function parseLogLevel(
  value: string | undefined,
  fallback: LogLevel = "info",
): LogLevel {
  if (value === undefined || value.trim() === "") return fallback;
  const v = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new Error(
    `invalid log level ${JSON.stringify(value)}: expected one of ${
      LOG_LEVELS.join(", ")
    }`,
  );
}

/** Creates a logger writing one JSON object per line. */
export function createLogger(options: LoggerOptions): Logger {
  return new JsonLogger(options, {});
}

/**
 * The logger behind {@linkcode createLogger}. Its methods live on the prototype, so a child
 * costs one object and its fields: the worker makes one per job, and a logger of closures was
 * a tenth of the memory a no-op job allocated.
 */
class JsonLogger implements Logger {
  readonly level: LogLevel;
  readonly #min: number;

  constructor(
    private readonly options: LoggerOptions,
    private readonly bound: LogFields,
  ) {
    this.level = options.level ?? "info";
    this.#min = LOG_LEVELS.indexOf(this.level);
  }

  debug(msg: string, fields?: LogFields): void {
    this.#log("debug", msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#log("info", msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#log("warn", msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.#log("error", msg, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.options, { ...this.bound, ...fields });
  }

  #log(lvl: LogLevel, msg: string, fields?: LogFields): void {
    if (LOG_LEVELS.indexOf(lvl) < this.#min) return;
    const { options } = this;
    const line: LogFields = {
      level: lvl,
      ts: (options.now?.() ?? new Date()).toISOString(),
      msg,
      service: options.service,
      environment: options.environment,
    };
    for (const source of [this.bound, fields ?? {}]) {
      for (const [k, v] of Object.entries(source)) {
        line[RESERVED.has(k) ? `field_${k}` : k] = v;
      }
    }
    (options.write ?? writeStdout)(stringify(line), lvl);
  }
}

/** Serializes a value to JSON: Errors as {name,message,stack}, bigints as strings, cycles cut. */
export function stringify(value: unknown): string {
  return JSON.stringify(normalize(value, []));
}

function normalize(value: unknown, ancestors: object[]): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object" || value === null) return value;
  if (ancestors.includes(value)) return "[Circular]";
  if (value instanceof Error) {
    const out: LogFields = {
      name: value.name,
      message: value.message,
      stack: value.stack,
    };
    for (const [k, v] of Object.entries(value)) out[k] ??= v;
    if (value.cause !== undefined) out.cause = value.cause;
    return normalizeEntries(out, [...ancestors, value]);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    return normalize(toJSON.call(value), ancestors);
  }
  if (Array.isArray(value)) {
    const inner = [...ancestors, value];
    return value.map((v) => normalize(v, inner));
  }
  return normalizeEntries(value as LogFields, [...ancestors, value]);
}

function normalizeEntries(obj: LogFields, ancestors: object[]): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(obj)) out[k] = normalize(v, ancestors);
  return out;
}

function writeStdout(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}
