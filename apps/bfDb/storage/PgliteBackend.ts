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
    // int8 as an exact string, as postgres.js returns it (PGlite's default gives a number, or
    // a bigint past 2^53, which neither matches the other backend nor survives JSON.stringify).
    const db = await PGlite.create(dataDir, {
      parsers: { [INT8_OID]: (value: string) => value },
    });
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
    const quoted = quoteChannel(channel);
    await this.#db.listen(quoted, onMessage);
    // Not the function PGlite returns: it runs UNLISTEN with the unquoted name.
    return () => this.#db.unlisten(quoted, onMessage);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
