import { AsyncLocalStorage } from "node:async_hooks";
import type { BfDbBackend, QueryRunner, Row } from "./storage/BfDbBackend.ts";

const ambientTransaction = new AsyncLocalStorage<QueryRunner>();
let currentBackend: BfDbBackend | undefined;
let opening: Promise<BfDbBackend> | undefined;

/** Idle connections of a backend bfDb opened itself close after this long. */
export const AUTO_OPENED_IDLE_SECONDS = 5;

/**
 * The backend the environment names, opened and migrated on first use: PostgreSQL at
 * `DATABASE_URL` (through a pooler as `DATABASE_POOLER` says), else the embedded database in
 * `BFDB_DATA_DIR` or `.bfdb/` (which admits one process: an application that runs its worker in
 * its own process shares it; see README, "Using it from an application").
 * Loaded lazily, so a process that calls `bfDb.use` never loads the drivers it does not use.
 */
function openFromEnvironment(): Promise<BfDbBackend> {
  opening ??= (async () => {
    const { openBackend } = await import("./storage/openBackend.ts");
    const { migrate } = await import("./migrate.ts");
    const { listenUrlSetting, poolerMode } = await import(
      "./storage/pooler.ts"
    );
    const backend = await openBackend({
      databaseUrl: Deno.env.get("DATABASE_URL") || undefined,
      embeddedDataDir: Deno.env.get("BFDB_DATA_DIR") || undefined,
      // Behind a transaction pooler a producer must prepare nothing; a worker started in this
      // process listens through DATABASE_LISTEN_URL (see README, "Connection poolers").
      pooler: poolerMode(Deno.env.get("DATABASE_POOLER")),
      listenUrl: listenUrlSetting(Deno.env.get("DATABASE_LISTEN_URL")),
      // A script that enqueues and ends exits within seconds, not after the driver's minute.
      idleTimeoutSeconds: AUTO_OPENED_IDLE_SECONDS,
    });
    try {
      await migrate(backend);
    } catch (error) {
      await backend.close();
      throw error;
    }
    // A backend set with `use` while this one opened wins; this one is not needed.
    if (currentBackend) {
      await backend.close();
      return currentBackend;
    }
    currentBackend = backend;
    return backend;
  })().finally(() => {
    opening = undefined;
  });
  return opening;
}

/** The process-wide graph store: which backend it uses, ambient transactions, raw SQL. */
export const bfDb = {
  /** Makes `backend` the one every node operation uses from now on. */
  use(backend: BfDbBackend): void {
    currentBackend = backend;
  },

  /**
   * The backend in use; throws when none is open yet (queries open one from the environment on
   * first use; `await bfDb.ready()` does it without a query).
   */
  get backend(): BfDbBackend {
    if (!currentBackend) {
      throw new Error(
        "bfDb has no backend yet: await bfDb.ready() (opens DATABASE_URL, else the embedded database), or call bfDb.use(backend)",
      );
    }
    return currentBackend;
  },

  /**
   * The backend in use, opening it from the environment when none is: PostgreSQL at
   * `DATABASE_URL`, else the embedded database, migrated either way.
   *
   * @example
   * ```ts
   * await bfDb.ready(); // optional: the first query does the same
   * await BfJob.create({ type: "process_new_record", payload: { record_id } }, cv);
   * ```
   */
  async ready(): Promise<BfDbBackend> {
    return currentBackend ?? await openFromEnvironment();
  },

  /** Whether a backend has been set. */
  get isReady(): boolean {
    return currentBackend !== undefined;
  },

  /** Whether the caller runs inside `bfDb.transaction`. */
  get inTransaction(): boolean {
    return ambientTransaction.getStore() !== undefined;
  },

  /** Runs parameterized SQL, inside the ambient transaction when there is one. */
  async query<T = Row>(
    text: string,
    params?: readonly unknown[],
  ): Promise<T[]> {
    const runner = ambientTransaction.getStore() ?? currentBackend ??
      await openFromEnvironment();
    return await runner.query<T>(text, params);
  },

  /** Runs `fn` so that every node operation inside it shares one transaction; nested calls join it. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (ambientTransaction.getStore()) return await fn();
    const backend = currentBackend ?? await openFromEnvironment();
    return await backend.transaction((tx) => ambientTransaction.run(tx, fn));
  },

  /** Closes the backend in use and forgets it. */
  async close(): Promise<void> {
    const backend = currentBackend;
    currentBackend = undefined;
    await backend?.close();
  },
};
