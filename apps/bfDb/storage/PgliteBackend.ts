import { PGlite } from "@electric-sql/pglite";
import type { BfDbBackend, QueryRunner, Row, Unlisten } from "./BfDbBackend.ts";

interface PgliteQueryable {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

function runnerFor(db: PgliteQueryable): QueryRunner {
  return {
    async query<T = Row>(
      text: string,
      params: readonly unknown[] = [],
    ): Promise<T[]> {
      const result = await db.query<T>(text, [...params]);
      return result.rows;
    },
  };
}

const INT8_OID = 20;

/** A channel name as a quoted identifier, so it is taken as is (PGlite splices it into LISTEN). */
function quoteChannel(channel: string): string {
  if (channel.includes('"') || channel.includes("\u0000")) {
    throw new TypeError(
      `listen: unsupported channel name ${JSON.stringify(channel)}`,
    );
  }
  return `"${channel}"`;
}

/** shared_buffers of the embedded database. */
export const EMBEDDED_SHARED_BUFFERS = "16MB";

function createPglite(
  dataDir: string | undefined,
  snapshot?: Blob,
): Promise<PGlite> {
  // int8 as an exact string, as postgres.js returns it (PGlite's default gives a number, or
  // a bigint past 2^53, which neither matches the other backend nor survives JSON.stringify).
  return PGlite.create(dataDir, {
    ...(snapshot ? { loadDataDir: snapshot } : {}),
    parsers: { [INT8_OID]: (value: string) => value },
    // PGlite's default 128 MB of shared buffers live in its WASM heap and, once touched, stay
    // resident: an embedded worker idled at ~300 MB reopening its database (650+ MB right after
    // initdb). 16 MB holds a development queue's working set; measured 300 -> 175 MB.
    postgresqlconf: [`shared_buffers=${EMBEDDED_SHARED_BUFFERS}`],
  });
}

/** Another process has the embedded database open; PGlite admits one process at a time. */
export class EmbeddedDatabaseBusyError extends Error {
  override name = "EmbeddedDatabaseBusyError";
  constructor(readonly dataDir: string) {
    super(`the embedded database ${dataDir} is open in another process`);
  }
}

/** A bfDb backend on an embedded PGlite database (a directory, or memory when none is given). */
export class PgliteBackend implements BfDbBackend {
  readonly kind = "pglite" as const;
  readonly notifications = true;
  readonly #db: PGlite;
  readonly #runner: QueryRunner;
  readonly #lock: Deno.FsFile | undefined;

  private constructor(db: PGlite, lock: Deno.FsFile | undefined) {
    this.#db = db;
    this.#runner = runnerFor(db);
    this.#lock = lock;
  }

  /**
   * Opens (creating if needed) the embedded database in `dataDir`, or in memory. A directory is
   * held under an exclusive file lock, because two processes opening it would each initialize
   * or write it and corrupt it; the second gets EmbeddedDatabaseBusyError.
   */
  static async open(dataDir?: string): Promise<PgliteBackend> {
    if (!dataDir) {
      return new PgliteBackend(await createPglite(undefined), undefined);
    }
    const directory = dataDir.replace(/\/+$/, "");
    const lock = await Deno.open(`${directory}.lock`, {
      create: true,
      write: true,
    });
    if (!await lock.tryLock(true)) {
      lock.close();
      throw new EmbeddedDatabaseBusyError(directory);
    }
    try {
      await Deno.mkdir(directory, { recursive: true });
      return new PgliteBackend(await createPglite(directory), lock);
    } catch (error) {
      lock.close();
      throw error;
    }
  }

  /**
   * An in-memory database started from `snapshot` (see {@linkcode snapshot}): about 0.4 s where
   * a fresh one takes 3-5 s to initialize, which is what makes a database per test affordable.
   */
  static async openSnapshot(snapshot: Blob): Promise<PgliteBackend> {
    return new PgliteBackend(
      await createPglite(undefined, snapshot),
      undefined,
    );
  }

  /** The whole database as an uncompressed tarball, for {@linkcode openSnapshot}. */
  async snapshot(): Promise<Blob> {
    return await this.#db.dumpDataDir("none");
  }

  query<T = Row>(
    text: string,
    params?: readonly unknown[],
  ): Promise<T[]> {
    return this.#runner.query<T>(text, params);
  }

  transaction<T>(fn: (tx: QueryRunner) => Promise<T>): Promise<T> {
    return this.#db.transaction((tx) => fn(runnerFor(tx)));
  }

  /** In-process, so never dropped: `onRelisten` is never called. */
  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    _onRelisten?: () => void,
  ): Promise<Unlisten> {
    const quoted = quoteChannel(channel);
    await this.#db.listen(quoted, onMessage);
    // Not the function PGlite returns: it runs UNLISTEN with the unquoted name.
    return () => this.#db.unlisten(quoted, onMessage);
  }

  async close(): Promise<void> {
    try {
      await this.#db.close();
    } finally {
      this.#lock?.close();
    }
  }
}
