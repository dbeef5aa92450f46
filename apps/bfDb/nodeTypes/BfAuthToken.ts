import { bfDb } from "../bfDb.ts";
import { BfValidationError } from "../errors.ts";
import { sortableInstant } from "../instants.ts";
import { BfNode, EDGE_CLASS_NAME, type InferProps } from "../classes/BfNode.ts";
import { validateProps } from "../classes/defineBfNode.ts";

/** What `BfAuthToken.create` accepts: `expiresAt` as a Date or any ISO-8601 string. */
export interface BfAuthTokenInput {
  /** A hash of the token (never the token itself). */
  tokenHash: string;
  /** The person the token authenticates. */
  personId: string;
  /** When the token stops being valid; stored as ISO-8601 UTC with milliseconds. */
  expiresAt: Date | string;
}

const CLASS_NAME = "BfAuthToken";
const MAX_BATCH = 100_000;

/**
 * An auth token of one person. `expiresAt` is kept in the sortable ISO form
 * (`2025-01-31T12:00:00.000Z`) so that `props->>'expiresAt'` compares as text and is indexed
 * (migration 003).
 *
 * @example
 * ```ts
 * await BfAuthToken.create({ tokenHash, personId, expiresAt: new Date(Date.now() + 3_600_000) }, cv);
 * const deleted = await BfAuthToken.deleteExpired(1000); // across every org
 * ```
 */
export class BfAuthToken extends BfNode<InferProps<typeof BfAuthToken>> {
  static override bfNodeSpec = this.defineBfNode((node) =>
    node
      .string("tokenHash")
      .string("personId")
      .string("expiresAt")
  );

  /** What producers pass to `create`/`createMany`. */
  declare static createInput?: BfAuthTokenInput;

  /** Validates the input and stores `expiresAt` in its sortable form. */
  protected static override propsForCreate(
    input: Record<string, unknown>,
  ): Record<string, unknown> {
    if (input === null || typeof input !== "object") {
      throw new BfValidationError(CLASS_NAME, "(props)", "expected an object");
    }
    const expiresAt = input.expiresAt;
    return validateProps(CLASS_NAME, this.bfNodeSpec, {
      ...input,
      ...(expiresAt === undefined
        ? {}
        : { expiresAt: expiryInstant(expiresAt) }),
    }, true);
  }

  /** Writes the props, keeping `expiresAt` in its sortable form. */
  override save(): Promise<this> {
    this.props.expiresAt = expiryInstant(this.props.expiresAt);
    return super.save();
  }

  /**
   * Deletes up to `batchSize` expired tokens of every org in one statement, with the edges
   * touching them, skipping rows other transactions hold; returns how many tokens it deleted.
   */
  static async deleteExpired(batchSize = 1000): Promise<number> {
    if (
      !Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH
    ) {
      throw new RangeError(
        `BfAuthToken.deleteExpired: batchSize must be an integer from 1 to ${MAX_BATCH}, got ${batchSize}`,
      );
    }
    // The class name is a literal so the partial index of migration 003 serves the search.
    // The pick is a materialized CTE, not `bf_gid IN (SELECT … LIMIT … SKIP LOCKED)`: as a
    // subquery the planner may rescan it once per row, each rescan skipping the rows already
    // deleted, so the LIMIT would no longer bound the batch.
    const rows = await bfDb.query<{ deleted: number }>(
      `WITH picked AS MATERIALIZED (
         SELECT bf_gid FROM bfdb_nodes
         WHERE class_name = 'BfAuthToken' AND props->>'expiresAt' < bfdb_iso(now())
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       ), doomed AS (
         DELETE FROM bfdb_nodes t USING picked p
         WHERE t.bf_gid = p.bf_gid AND t.class_name = 'BfAuthToken'
         RETURNING t.bf_gid, t.bf_oid
       ), outgoing AS (
         DELETE FROM bfdb_nodes e USING doomed d
         WHERE e.bf_sid = d.bf_gid AND e.bf_oid = d.bf_oid AND e.class_name = $2
       ), incoming AS (
         DELETE FROM bfdb_nodes e USING doomed d
         WHERE e.bf_tid = d.bf_gid AND e.bf_oid = d.bf_oid AND e.class_name = $2
       )
       SELECT count(*)::int AS deleted FROM doomed`,
      [batchSize, EDGE_CLASS_NAME],
    );
    return Number(rows[0]?.deleted ?? 0);
  }
}

/** `value` as ISO-8601 UTC with milliseconds, the form that sorts as text. */
function expiryInstant(value: unknown): string {
  return sortableInstant(CLASS_NAME, "expiresAt", value);
}
