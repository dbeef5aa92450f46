import postgres from "postgres";
import type { BfDbBackend, QueryRunner, Row, Unlisten } from "./BfDbBackend.ts";
import { installDriverGuard } from "./driverRejections.ts";
import { ListenConnection } from "./listenConnection.ts";
import type { PoolerMode } from "./pooler.ts";

/** Options for a PostgreSQL backend. */
export interface PostgresBackendOptions {
  /** Pool size; defaults to 10. */
  maxConnections?: number;
  /** Called when the server sends a notice or the connection logs something worth seeing. */
  onNotice?: (notice: unknown) => void;
  /** How long one connection attempt may take, handshake included; defaults to 10 s. */
  connectTimeoutMs?: number;
  /** Idle connections close after this many seconds (and let the process exit); default 60. */
  idleTimeoutSeconds?: number;
  /**
   * `application_name` of every connection (the LISTEN one gets ` listen` appended), so
   * `pg_stat_activity` tells whose they are; default postgres.js's (`PGAPPNAME` or `postgres.js`).
   */
  applicationName?: string;
  /**
   * What stands between us and the server: `none` (or a session-mode pooler) keeps prepared
   * statements and LISTENs on the same URL; `transaction` (PgBouncer's or Supavisor's
   * transaction mode) sends no named prepared statement and never LISTENs through the pooler.
   */
  pooler?: PoolerMode;
  /**
   * Where the LISTEN connection goes, when not to `databaseUrl` (a direct URL to the server
   * beside a transaction pooler). Without it behind a transaction pooler there is no LISTEN.
   */
  listenUrl?: string;
}

type Sql = ReturnType<typeof postgres>;

/**
 * At most `size` holders at once, the rest waiting in arrival order: behind a transaction
 * pooler, one statement (or one transaction) per pool connection.
 */
class Turns {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** Whether `value` is an array of strings, numbers and nulls, nested or not. */
function isPlainArray(value: unknown): value is unknown[] {
  if (!Array.isArray(value)) return false;
  for (const x of value) {
    if (
      x !== null && typeof x !== "string" && typeof x !== "number" &&
      !isPlainArray(x)
    ) return false;
  }
  return true;
}

/** A PostgreSQL array literal of `xs`: every element quoted and escaped, null as NULL. */
function arrayLiteral(xs: readonly unknown[]): string {
  let literal = "{";
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (i > 0) literal += ",";
    if (x === null) literal += "NULL";
    else if (Array.isArray(x)) literal += arrayLiteral(x);
    else {
      const text = String(x);
      literal += NEEDS_ESCAPE.test(text)
        ? `"${text.replace(ESCAPED_CHARACTERS, "\\$&")}"`
        : `"${text}"`;
    }
  }
  return literal + "}";
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED_CHARACTERS = /["\\]/g;

/**
 * Parameters as the driver should send them. An array of strings goes as its literal: postgres.js
 * serializes one only once a connection has read the server's array types, and a fresh pool's
 * first statement under load could go out before that, with the array sent as `a,b,c`
 * ("malformed array literal": 15 first inserts in 80 on a loaded machine). The literal is the
 * text the driver would have sent, and the statement's `$n::text[]` reads it the same way.
 */
function driverParams(params: readonly unknown[]): unknown[] {
  return params.map((p) => isPlainArray(p) ? arrayLiteral(p) : p);
}

function runnerFor(sql: Sql | postgres.TransactionSql): QueryRunner {
  return {
    async query<T = Row>(
      text: string,
      params: readonly unknown[] = [],
    ): Promise<T[]> {
      // Prepared unless the client says otherwise (`prepare: false` behind a transaction pooler).
      const result = await sql.unsafe(
        text,
        driverParams(params) as postgres.ParameterOrJSON<never>[],
        { prepare: true },
      );
      // A plain array, as PGlite gives: postgres.js's Result subclass carries extra fields.
      return Array.from(result) as unknown as T[];
    },
  };
}

/**
 * Seconds before reconnecting after `retries` failed attempts: 50 ms doubling to at most 2 s,
 * with jitter. postgres.js's default grows to 20 s and counts failures across the whole pool,
 * so after a short outage queries waited up to 16 s on a server that was back (chaos suite,
 * scenario 3); a queue should resume within a couple of seconds.
 */
export function reconnectDelaySeconds(retries: number): number {
  return Math.min(2, 0.05 * 2 ** retries) * (0.5 + Math.random() / 2);
}

/**
 * A bfDb backend on a PostgreSQL server, through postgres.js: a pool of at most
 * `maxConnections`, plus one LISTEN connection opened on the first `listen` (to `listenUrl`
 * when given). Behind a transaction pooler (`pooler: "transaction"`) it prepares nothing and,
 * without `listenUrl`, has no LISTEN at all (`notifications` is false).
 */
export class PostgresBackend implements BfDbBackend {
  readonly kind = "postgres" as const;
  readonly notifications: boolean;
  readonly #sql: Sql;
  readonly #runner: QueryRunner;
  readonly #listenUrl: string | undefined;
  readonly #options: PostgresBackendOptions;
  /** Behind a transaction pooler: no second statement on a connection that is still busy. */
  readonly #turns: Turns | undefined;
  #listener: ListenConnection | undefined;

  constructor(databaseUrl: string, options: PostgresBackendOptions = {}) {
    installDriverGuard();
    const pooled = options.pooler === "transaction";
    const max = options.maxConnections ?? 10;
    // postgres.js pipelines a statement onto a connection still answering another one.
    // PgBouncer 1.18 in transaction mode gives the server connection back at the first one's
    // end, and the next one's answer never comes (the bench's drain hung in 2 runs of 3). With
    // no more statements (or transactions) out at once than the pool has connections, each
    // gets a connection of its own; inside a transaction the server connection stays ours, so
    // statements there may still overlap. (A statement outside a transaction awaited from inside
    // one would wait for a turn the transaction holds: nothing here does that.)
    this.#turns = pooled ? new Turns(max) : undefined;
    this.#options = options;
    this.#listenUrl = options.listenUrl ?? (pooled ? undefined : databaseUrl);
    this.notifications = this.#listenUrl !== undefined;
    this.#sql = postgres(databaseUrl, {
      ...this.#driverOptions(options.applicationName),
      max,
      idle_timeout: options.idleTimeoutSeconds ?? 60,
      // For the client as a whole, not per query: postgres.js prepares its own BEGIN, COMMIT and
      // ROLLBACK too. Behind PgBouncer 1.18 a COMMIT prepared on one server connection and
      // bound on another fails, which aborts the transaction, and the retried COMMIT then ends
      // it as a ROLLBACK without an error (measured: 316 of 400 committed inserts kept).
      // Unprepared, a statement is unnamed (Parse, Describe, Flush, then Bind, Execute, Sync),
      // which the pooler keeps on one server connection, at one more round trip per statement.
      prepare: !pooled,
    });
    this.#runner = runnerFor(this.#sql);
  }

  /** What the pool and the LISTEN connection share. */
  #driverOptions(applicationName: string | undefined) {
    return {
      onnotice: this.#options.onNotice ?? (() => {}),
      connect_timeout: (this.#options.connectTimeoutMs ?? 10_000) / 1000,
      backoff: reconnectDelaySeconds,
      // Unset keeps postgres.js's own (PGAPPNAME, or "postgres.js"), as before.
      ...(applicationName === undefined
        ? {}
        : { connection: { application_name: applicationName } }),
    };
  }

  query<T = Row>(
    text: string,
    params?: readonly unknown[],
  ): Promise<T[]> {
    if (this.#turns) {
      return this.#turns.run(() => this.#runner.query<T>(text, params));
    }
    return this.#runner.query<T>(text, params);
  }

  async transaction<T>(fn: (tx: QueryRunner) => Promise<T>): Promise<T> {
    const run = async () =>
      await this.#sql.begin((tx) => fn(runnerFor(tx))) as T;
    return this.#turns ? await this.#turns.run(run) : await run();
  }

  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onRelisten?: () => void,
  ): Promise<Unlisten> {
    if (this.#listenUrl === undefined) {
      throw new Error(
        "no LISTEN behind a transaction pooler without a direct URL for it (DATABASE_LISTEN_URL)",
      );
    }
    // One connection of its own that only ever listens (not one of the pool's).
    this.#listener ??= new ListenConnection(
      this.#listenUrl,
      this.#driverOptions(
        this.#options.applicationName === undefined
          ? undefined
          : `${this.#options.applicationName} listen`,
      ),
    );
    return await this.#listener.listen(channel, onMessage, onRelisten);
  }

  async close(): Promise<void> {
    await Promise.all([
      this.#sql.end({ timeout: 5 }),
      this.#listener?.close(),
    ]);
  }
}
