/**
 * A small argument parser shared by bft tasks.
 *
 * Accepts `--flag value`, `--flag=value`, boolean `--flag` (or
 * `--flag=true|false`), positionals, and `--` to end flags. Anything else that
 * looks like a flag is a {@linkcode UsageError}, which `bft` prints with the
 * task's usage before exiting with code 2.
 *
 * @example
 * ```ts
 * const { flags, positionals } = parseArgs(
 *   ["--type", "track_usage", "--failed", "42"],
 *   { string: ["type"], boolean: ["failed"], maxPositionals: 1 },
 * );
 * // flags: { type: "track_usage", failed: true }; positionals: ["42"]
 * ```
 *
 * @module
 */
import {
  DURATION_EXAMPLES,
  parseDuration as parseDurationValue,
} from "@bfmono/packages/duration/duration.ts";

/** Bad command-line arguments; bft prints the message and usage, exit 2. */
export class UsageError extends Error {
  /** Creates a usage error with a message for the operator. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Which flags a command accepts (names without `--`). */
export interface ArgSpec<S extends string, B extends string> {
  /** Flags that take a value. */
  string?: readonly S[];
  /** Flags that are on or off. */
  boolean?: readonly B[];
  /** Fewest positionals allowed. Default 0. */
  minPositionals?: number;
  /** Most positionals allowed. Default unlimited. */
  maxPositionals?: number;
}

/** The result of {@linkcode parseArgs}. */
export interface ParsedArgs<S extends string, B extends string> {
  /** String flags (absent when not given) and boolean flags (false when not given). */
  flags: { [K in S]?: string } & { [K in B]: boolean };
  /** Arguments that are not flags, in order. */
  positionals: string[];
}

/** Parses `args` against `spec`; throws {@linkcode UsageError} on anything unexpected. */
export function parseArgs<
  const S extends string = never,
  const B extends string = never,
>(args: readonly string[], spec: ArgSpec<S, B> = {}): ParsedArgs<S, B> {
  const strings = new Set<string>(spec.string ?? []);
  const booleans = new Set<string>(spec.boolean ?? []);
  const flags: Record<string, string | boolean> = {};
  for (const b of booleans) flags[b] = false;
  const given = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!isFlag(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (!arg.startsWith("--") || !(strings.has(name) || booleans.has(name))) {
      throw new UsageError(
        `unknown flag ${showArg(eq < 0 ? arg : arg.slice(0, eq))}`,
      );
    }
    if (given.has(name)) throw new UsageError(`--${name} given twice`);
    given.add(name);
    if (booleans.has(name)) {
      if (inline === undefined || inline === "true") flags[name] = true;
      else if (inline === "false") flags[name] = false;
      else throw new UsageError(`--${name} takes no value (or true|false)`);
    } else if (inline !== undefined) {
      flags[name] = inline;
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith("--")) {
        throw new UsageError(`--${name} needs a value`);
      }
      flags[name] = next;
      i++;
    }
  }
  const min = spec.minPositionals ?? 0;
  const max = spec.maxPositionals ?? Infinity;
  if (positionals.length < min) {
    throw new UsageError(`expected at least ${min} argument(s)`);
  }
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument ${showArg(positionals[max])}`);
  }
  return { flags: flags as ParsedArgs<S, B>["flags"], positionals };
}

/** An argument as typed when it is a short printable word, else quoted (one line, cut short). */
function showArg(arg: string): string {
  return /^[!-~]{1,80}$/.test(arg) ? arg : quoteValue(arg);
}

/** True for `-x`/`--x` forms; `-`, `-1` and `-1.5` count as values. */
function isFlag(arg: string): boolean {
  return arg.length > 1 && arg.startsWith("-") && !/^-\d/.test(arg);
}

/** The longest part of a bad value an error message repeats. */
const QUOTE_MAX = 80;

/** `value` as a JSON string for an error message, cut short so the message stays one short line. */
export function quoteValue(value: string): string {
  return value.length <= QUOTE_MAX
    ? JSON.stringify(value)
    : `${
      JSON.stringify(value.slice(0, QUOTE_MAX))
    }… (${value.length} characters)`;
}

/** Parses a whole number within [min, max]; `name` labels the error. */
export function parseInteger(
  value: string,
  name: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${name} must be a whole number from ${min} to ${max}, got ${
        quoteValue(value)
      }`,
    );
  }
  return n;
}

/**
 * Parses a duration like `500ms`, `30s`, `15m`, `12h`, `7d`, `2w` or `1h30m` into milliseconds;
 * anything else, or more than 100 years, is a UsageError naming the option.
 */
export function parseDuration(value: string, name: string): number {
  const ms = parseDurationValue(value);
  if (ms === null) {
    throw new UsageError(
      `${name} must be ${DURATION_EXAMPLES} (at most 100 years), got ${
        quoteValue(value)
      }`,
    );
  }
  return ms;
}
