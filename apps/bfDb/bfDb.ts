import { AsyncLocalStorage } from "node:async_hooks";
import type { BfDbBackend, QueryRunner, Row } from "./storage/BfDbBackend.ts";

const ambientTransaction = new AsyncLocalStorage<QueryRunner>();
let currentBackend: BfDbBackend | undefined;

/** The process-wide graph store: which backend it uses, ambient transactions, raw SQL. */
export const bfDb = {
  /** Makes `backend` the one every node operation uses from now on. */
  use(backend: BfDbBackend): void {
    currentBackend = backend;
  },

  /** The backend in use; throws when none was set. */
  get backend(): BfDbBackend {
    if (!currentBackend) {
      throw new Error(
        "bfDb has no backend: call bfDb.use(await openBackend(...)) first",
      );
    }
    return currentBackend;
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
  query<T = Row>(
    text: string,
    params?: readonly unknown[],
  ): Promise<T[]> {
    const runner = ambientTransaction.getStore() ?? this.backend;
    return runner.query<T>(text, params);
  },

  /** Runs `fn` so that every node operation inside it shares one transaction; nested calls join it. */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (ambientTransaction.getStore()) return fn();
    return this.backend.transaction((tx) => ambientTransaction.run(tx, fn));
  },

  /** Closes the backend in use and forgets it. */
  async close(): Promise<void> {
    const backend = currentBackend;
    currentBackend = undefined;
    await backend?.close();
  },
};
