import postgres from "postgres";
import type { BfDbBackend, QueryRunner, Row, Unlisten } from "./BfDbBackend.ts";
import { installDriverGuard } from "./driverRejections.ts";

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
}

type Sql = ReturnType<typeof postgres>;

function runnerFor(sql: Sql | postgres.TransactionSql): QueryRunner {
  return {
    async query<T = Row>(
      text: string,
      params: readonly unknown[] = [],
    ): Promise<T[]> {
      const result = await sql.unsafe(
        text,
        params as postgres.ParameterOrJSON<never>[],
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

/** A bfDb backend on a PostgreSQL server, through postgres.js. */
export class PostgresBackend implements BfDbBackend {
  readonly kind = "postgres" as const;
  readonly #sql: Sql;
  readonly #runner: QueryRunner;

  constructor(databaseUrl: string, options: PostgresBackendOptions = {}) {
    installDriverGuard();
    this.#sql = postgres(databaseUrl, {
      max: options.maxConnections ?? 10,
      onnotice: options.onNotice ?? (() => {}),
      connect_timeout: (options.connectTimeoutMs ?? 10_000) / 1000,
      idle_timeout: options.idleTimeoutSeconds ?? 60,
      backoff: reconnectDelaySeconds,
    });
    this.#runner = runnerFor(this.#sql);
  }

  query<T = Row>(
    text: string,
    params?: readonly unknown[],
  ): Promise<T[]> {
    return this.#runner.query<T>(text, params);
  }

  async transaction<T>(fn: (tx: QueryRunner) => Promise<T>): Promise<T> {
    return await this.#sql.begin((tx) => fn(runnerFor(tx))) as T;
  }

  async listen(
    channel: string,
    onMessage: (payload: string) => void,
  ): Promise<Unlisten> {
    const subscription = await this.#sql.listen(channel, onMessage);
    return () => subscription.unlisten();
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}
