import { bfDb } from "../bfDb.ts";
import type { CurrentViewer } from "../CurrentViewer.ts";
import { BfNotFoundError } from "../errors.ts";
import { generateGid, type GidKind } from "../ids.ts";
import {
  BfNodeSpec,
  FieldBuilder,
  type InferCreateProps,
  validateProps,
} from "./defineBfNode.ts";
import {
  BF_COLUMNS,
  type BfMetadata,
  type BfRow,
  parseRow,
} from "./nodeRow.ts";

export type { InferCreateProps, InferProps } from "./defineBfNode.ts";
export type { BfMetadata } from "./nodeRow.ts";

/** The class name edge rows carry. */
export const EDGE_CLASS_NAME = "BfEdge";

/** Deletes every edge of org `orgId` that starts or ends at node `id`. */
export async function deleteEdgesOf(id: string, orgId: string): Promise<void> {
  await bfDb.query(
    `DELETE FROM bfdb_nodes WHERE bf_oid = $1 AND class_name = $2 AND (bf_sid = $3 OR bf_tid = $3)`,
    [orgId, EDGE_CLASS_NAME, id],
  );
}

/** A concrete node class, as seen by the static methods it inherits. */
// deno-lint-ignore no-explicit-any
export type BfNodeClass<N extends BfNode<any> = BfNode<any>> = {
  // deno-lint-ignore no-explicit-any
  new (metadata: BfMetadata, props: any, cv: CurrentViewer): N;
  // deno-lint-ignore no-explicit-any
  bfNodeSpec: BfNodeSpec<any>;
  readonly name: string;
};

/** Options for `query`: props to match (containment), order and size. */
export interface BfQueryOptions {
  props?: Record<string, unknown>;
  /** Metadata to match: creator, and half-open ranges of creation and update time. */
  metadata?: {
    bfCid?: string;
    createdAfter?: Date;
    createdBefore?: Date;
    updatedAfter?: Date;
    updatedBefore?: Date;
  };
  orderBy?: "sortValue" | "createdAt" | "lastUpdated";
  direction?: "asc" | "desc";
  limit?: number;
}

const ORDER_COLUMNS = {
  sortValue: "sort_value",
  createdAt: "created_at",
  lastUpdated: "last_updated",
} as const;

/** A validated row about to be inserted. */
export interface NewNodeRow {
  bfGid: string;
  sortValue: number;
  props: Record<string, unknown>;
}

/** What `create` accepts for class C: its own `createInput` type when it declares one. */
export type CreateInput<C> = C extends { createInput?: infer I }
  ? unknown extends I ? InferCreateProps<C> : I
  : InferCreateProps<C>;

/** Base class of every node type stored in the `bfdb` graph table. */
export class BfNode<TProps extends object = Record<string, unknown>> {
  /** The spec of this class's props; every subclass overrides it with `defineBfNode`. */
  static bfNodeSpec: BfNodeSpec = new BfNodeSpec({});

  /**
   * The relation this class's rows are read from: `bfdb_nodes`, the graph's own table, for
   * nodes and edges; node types stored apart (jobs) name their view. A constant, never input.
   */
  static readRelation = "bfdb_nodes";

  /** Which kind of id this class's rows get (see `generateGid`). */
  static gidKind: GidKind = "node";

  /** Builds a props spec: `this.defineBfNode((node) => node.string("name").number("n").default(0))`. */
  // deno-lint-ignore no-explicit-any
  static defineBfNode<F extends Record<string, any>>(
    // deno-lint-ignore no-explicit-any
    build: (node: FieldBuilder) => FieldBuilder<F, any>,
  ): BfNodeSpec<F> {
    return build(new FieldBuilder()).build();
  }

  constructor(
    public metadata: BfMetadata,
    public props: TProps,
    readonly cv: CurrentViewer,
  ) {}

  /** The node's global id. */
  get id(): string {
    return this.metadata.bfGid;
  }

  /** Builds an instance from a `bfdb` row, for node types with their own SQL. */
  static fromRow<C extends BfNodeClass>(
    this: C,
    row: BfRow,
    cv: CurrentViewer,
  ): InstanceType<C> {
    const { metadata, props } = parseRow(row);
    return new this(metadata, props, cv) as InstanceType<C>;
  }

  /** Validates and inserts a new node in `cv`'s org. */
  static async create<C extends BfNodeClass>(
    this: C,
    props: CreateInput<C>,
    cv: CurrentViewer,
  ): Promise<InstanceType<C>> {
    const [node] = await (this as unknown as typeof BfNode).createMany.call(
      this,
      [props],
      cv,
    );
    return node as InstanceType<C>;
  }

  /** Validates every input first, then inserts them all in one statement (all or none). */
  static async createMany<C extends BfNodeClass>(
    this: C,
    inputs: readonly CreateInput<C>[],
    cv: CurrentViewer,
  ): Promise<InstanceType<C>[]> {
    const self = this as unknown as typeof BfNode;
    const now = Date.now();
    const rows = inputs.map((input) => ({
      bfGid: generateGid(now, self.gidKind),
      sortValue: now,
      props: self.propsForCreate(input as Record<string, unknown>),
    }));
    if (rows.length === 0) return [];
    const inserted = await self.insertRows(rows, cv);
    return inserted.map((row) =>
      self.fromRow.call(this, row, cv) as InstanceType<C>
    );
  }

  /** Turns a create input into validated props; node types with richer inputs override it. */
  protected static propsForCreate(
    input: Record<string, unknown>,
  ): Record<string, unknown> {
    return validateProps(this.name, this.bfNodeSpec, input, true);
  }

  /** Inserts validated rows in one statement; node types with side effects override it. */
  protected static async insertRows(
    rows: readonly NewNodeRow[],
    cv: CurrentViewer,
  ): Promise<BfRow[]> {
    return await bfDb.query<BfRow>(
      `INSERT INTO bfdb_nodes (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
       SELECT item->>'bfGid', $2, $3, $4, item->'props', (item->>'sortValue')::bigint
       FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS t(item, n)
       ORDER BY n
       RETURNING ${BF_COLUMNS}`,
      [JSON.stringify(rows), cv.orgId, cv.personId, this.name],
    );
  }

  /** The node with id `id` in `cv`'s org, or null. */
  static async find<C extends BfNodeClass>(
    this: C,
    cv: CurrentViewer,
    id: string,
  ): Promise<InstanceType<C> | null> {
    const self = this as unknown as typeof BfNode;
    const rows = await bfDb.query<BfRow>(
      `SELECT ${BF_COLUMNS} FROM ${self.readRelation} WHERE bf_gid = $1 AND bf_oid = $2 AND class_name = $3`,
      [id, cv.orgId, this.name],
    );
    if (rows.length === 0) return null;
    return (this as unknown as typeof BfNode).fromRow.call(
      this,
      rows[0],
      cv,
    ) as InstanceType<C>;
  }

  /** Like `find`, but throws BfNotFoundError when there is no such node. */
  static async findX<C extends BfNodeClass>(
    this: C,
    cv: CurrentViewer,
    id: string,
  ): Promise<InstanceType<C>> {
    const found = await (this as unknown as typeof BfNode).find.call(
      this,
      cv,
      id,
    );
    if (!found) throw new BfNotFoundError(this.name, id);
    return found as InstanceType<C>;
  }

  /** Nodes of this class in `cv`'s org whose props contain `options.props`. */
  static async query<C extends BfNodeClass>(
    this: C,
    cv: CurrentViewer,
    options: BfQueryOptions = {},
  ): Promise<InstanceType<C>[]> {
    const self = this as unknown as typeof BfNode;
    const orderBy = options.orderBy ?? "sortValue";
    // Own keys only: "constructor" or "toString" must not reach the SQL text.
    if (!Object.hasOwn(ORDER_COLUMNS, orderBy)) {
      throw new TypeError(`query: cannot order by ${String(orderBy)}`);
    }
    const column = ORDER_COLUMNS[orderBy];
    if (
      options.direction !== undefined && options.direction !== "asc" &&
      options.direction !== "desc"
    ) {
      throw new TypeError(
        `query: direction must be "asc" or "desc", got ${
          String(options.direction)
        }`,
      );
    }
    const direction = options.direction === "desc" ? "DESC" : "ASC";
    const limit = options.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`query: limit must be a whole number, got ${limit}`);
    }
    const meta = options.metadata ?? {};
    const instant = (name: string, value: Date | undefined) => {
      if (value === undefined) return null;
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
        throw new TypeError(`query: metadata.${name} must be a valid Date`);
      }
      return value.toISOString();
    };
    const rows = await bfDb.query<BfRow>(
      `SELECT ${BF_COLUMNS} FROM ${self.readRelation}
       WHERE bf_oid = $1 AND class_name = $2 AND props @> $3::text::jsonb
         AND ($5::text IS NULL OR bf_cid = $5::text)
         AND ($6::timestamptz IS NULL OR created_at >= $6::timestamptz)
         AND ($7::timestamptz IS NULL OR created_at < $7::timestamptz)
         AND ($8::timestamptz IS NULL OR last_updated >= $8::timestamptz)
         AND ($9::timestamptz IS NULL OR last_updated < $9::timestamptz)
       ORDER BY ${column} ${direction}, bf_gid ${direction}
       LIMIT $4`,
      [
        cv.orgId,
        this.name,
        JSON.stringify(options.props ?? {}),
        limit,
        meta.bfCid ?? null,
        instant("createdAfter", meta.createdAfter),
        instant("createdBefore", meta.createdBefore),
        instant("updatedAfter", meta.updatedAfter),
        instant("updatedBefore", meta.updatedBefore),
      ],
    );
    return rows.map((row) =>
      (this as unknown as typeof BfNode).fromRow.call(
        this,
        row,
        cv,
      ) as InstanceType<C>
    );
  }

  /** Validates the current props and writes them; throws when the node no longer exists. */
  async save(): Promise<this> {
    const ctor = this.constructor as typeof BfNode;
    const checked = validateProps(
      ctor.name,
      ctor.bfNodeSpec,
      this.props as Record<string, unknown>,
      false,
    );
    const rows = await bfDb.query<{ last_updated: Date | string }>(
      `UPDATE bfdb_nodes SET props = $1::text::jsonb, last_updated = now()
       WHERE bf_gid = $2 AND bf_oid = $3 AND class_name = $4
       RETURNING last_updated`,
      [JSON.stringify(checked), this.id, this.cv.orgId, ctor.name],
    );
    if (rows.length === 0) throw new BfNotFoundError(ctor.name, this.id);
    this.metadata.lastUpdated = new Date(rows[0].last_updated);
    return this;
  }

  /** Deletes the node and every edge touching it; returns whether it existed. */
  async delete(): Promise<boolean> {
    const ctor = this.constructor as typeof BfNode;
    return await bfDb.transaction(async () => {
      const rows = await bfDb.query(
        `DELETE FROM bfdb_nodes WHERE bf_gid = $1 AND bf_oid = $2 AND class_name = $3 RETURNING bf_gid`,
        [this.id, this.cv.orgId, ctor.name],
      );
      if (rows.length === 0) return false;
      await deleteEdgesOf(this.id, this.cv.orgId);
      return true;
    });
  }

  /** Nodes of class `target` this node points to, optionally through edges of one `role`. */
  async queryTargets<C extends BfNodeClass>(
    target: C,
    role?: string,
  ): Promise<InstanceType<C>[]> {
    return await this.#queryLinked(target, "bf_sid", "bf_tid", role);
  }

  /** Nodes of class `source` that point to this node, optionally through edges of one `role`. */
  async querySources<C extends BfNodeClass>(
    source: C,
    role?: string,
  ): Promise<InstanceType<C>[]> {
    return await this.#queryLinked(source, "bf_tid", "bf_sid", role);
  }

  async #queryLinked<C extends BfNodeClass>(
    other: C,
    selfColumn: "bf_sid" | "bf_tid",
    otherColumn: "bf_sid" | "bf_tid",
    role: string | undefined,
  ): Promise<InstanceType<C>[]> {
    const columns = BF_COLUMNS.split(", ").map((c) => `n.${c}`).join(", ");
    const rows = await bfDb.query<BfRow>(
      `SELECT ${columns} FROM bfdb_nodes e
       JOIN ${(other as unknown as typeof BfNode).readRelation} n
         ON n.bf_gid = e.${otherColumn} AND n.bf_oid = e.bf_oid
       WHERE e.${selfColumn} = $1 AND e.bf_oid = $2 AND e.class_name = $3
         AND n.class_name = $4 AND ($5::text IS NULL OR e.props->>'role' = $5::text)
       ORDER BY e.sort_value, e.bf_gid`,
      [this.id, this.cv.orgId, EDGE_CLASS_NAME, other.name, role ?? null],
    );
    return rows.map((row) =>
      (other as unknown as typeof BfNode).fromRow.call(
        other,
        row,
        this.cv,
      ) as InstanceType<C>
    );
  }
}
