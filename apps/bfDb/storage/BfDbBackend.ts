/** A row as returned by a backend: column name to value. */
export type Row = Record<string, unknown>;

/** Something that runs one parameterized SQL statement. */
export interface QueryRunner {
  /**
   * Runs `text` with `params` bound as $1, $2, …; never splices values into SQL.
   * Every backend returns jsonb parsed, timestamptz as Date, and int8 as an exact string.
   */
  query<T = Row>(
    text: string,
    params?: readonly unknown[],
  ): Promise<T[]>;
}

/** Stops a LISTEN subscription. */
export type Unlisten = () => Promise<void>;

/** The storage interface every bfDb backend implements; nothing above it knows which one it has. */
export interface BfDbBackend extends QueryRunner {
  /** Which engine serves this backend, for logs and diagnostics only. */
  readonly kind: "postgres" | "pglite";
  /**
   * Whether `listen` can deliver anything: false behind a transaction pooler with no direct
   * connection for LISTEN, where waiting for a notice would wait forever (callers poll).
   */
  readonly notifications: boolean;
  /** Runs `fn` in one database transaction: commit when it resolves, rollback when it throws. */
  transaction<T>(fn: (tx: QueryRunner) => Promise<T>): Promise<T>;
  /**
   * Subscribes to NOTIFY messages on `channel`, a name taken as is (case-sensitive), and keeps
   * the subscription through dropped connections. `onRelisten` runs each time it is back after
   * one: the notices sent while it was down were lost.
   */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onRelisten?: () => void,
  ): Promise<Unlisten>;
  /** Closes every connection; the backend is unusable afterwards. */
  close(): Promise<void>;
}
