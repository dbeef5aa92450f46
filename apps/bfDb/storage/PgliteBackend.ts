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

/** A bfDb backend on an embedded PGlite database (a directory, or memory when none is given). */
export class PgliteBackend implements BfDbBackend {
  readonly kind = "pglite" as const;
  readonly #db: PGlite;
  readonly #runner: QueryRunner;

  private constructor(db: PGlite) {
    this.#db = db;
    this.#runner = runnerFor(db);
  }

  /** Opens (creating if needed) the embedded database in `dataDir`, or in memory. */
  static async open(dataDir?: string): Promise<PgliteBackend> {
    if (dataDir) await Deno.mkdir(dataDir, { recursive: true });
    const db = await PGlite.create(dataDir);
    return new PgliteBackend(db);
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

  async listen(
    channel: string,
    onMessage: (payload: string) => void,
  ): Promise<Unlisten> {
    const unsubscribe = await this.#db.listen(channel, onMessage);
    return () => unsubscribe();
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
