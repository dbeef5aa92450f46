/**
 * What may stand between a PostgreSQL client and the server, as `DATABASE_POOLER` says:
 * `none` (the server itself, or a pooler in session mode: every feature works) or `transaction`
 * (PgBouncer's or Supavisor's transaction mode: a server connection is ours for one transaction
 * only, so nothing may outlive it: no named prepared statement, no LISTEN, no session setting).
 *
 * @module
 */

/** The values `DATABASE_POOLER` takes. */
export const POOLER_MODES = ["none", "transaction"] as const;

/** One of {@linkcode POOLER_MODES}. */
export type PoolerMode = typeof POOLER_MODES[number];

/**
 * Reads a `DATABASE_POOLER` value: unset or empty is `none`; anything but a listed mode throws
 * an error naming the variable (the worker's configuration reports the same, with exit 2).
 *
 * @example
 * ```ts
 * poolerMode(Deno.env.get("DATABASE_POOLER")); // "none" when unset
 * ```
 */
export function poolerMode(raw: string | undefined): PoolerMode {
  const value = raw?.trim() ?? "";
  if (value === "") return "none";
  if (!(POOLER_MODES as readonly string[]).includes(value)) {
    throw new Error(
      `DATABASE_POOLER must be one of ${POOLER_MODES.join(", ")}; got ${
        JSON.stringify(raw)
      }`,
    );
  }
  return value as PoolerMode;
}

/**
 * Reads a `DATABASE_LISTEN_URL` value: unset or empty is undefined; otherwise a postgres:// or
 * postgresql:// URL (the server itself, for the LISTEN connection), else an error naming the
 * variable.
 */
export function listenUrlSetting(raw: string | undefined): string | undefined {
  const value = raw?.trim() ?? "";
  if (value === "") return undefined;
  let protocol = "";
  try {
    protocol = new URL(value).protocol;
  } catch {
    // reported below
  }
  if (protocol !== "postgres:" && protocol !== "postgresql:") {
    throw new Error(
      `DATABASE_LISTEN_URL must be a URL starting with postgres: or postgresql:; got ${
        JSON.stringify(raw)
      }`,
    );
  }
  return value;
}
