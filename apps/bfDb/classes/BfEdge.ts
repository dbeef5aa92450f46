import { bfDb } from "../bfDb.ts";
import type { CurrentViewer } from "../CurrentViewer.ts";
import { generateGid } from "../ids.ts";
import { BfNode, EDGE_CLASS_NAME, type InferProps } from "./BfNode.ts";
import { validateProps } from "./defineBfNode.ts";
import { BF_COLUMNS, type BfRow } from "./nodeRow.ts";

/** A directed edge between two nodes of one org, stored as a row of the same table. */
export class BfEdge extends BfNode<InferProps<typeof BfEdge>> {
  static override bfNodeSpec = this.defineBfNode((node) =>
    node.string("role").default("")
  );

  /** Links `source` to `target` in `cv`'s org; both must belong to that org. */
  static async link(
    source: BfNode<object>,
    target: BfNode<object>,
    cv: CurrentViewer,
    role = "",
  ): Promise<BfEdge> {
    for (const node of [source, target]) {
      if (node.metadata.bfOid !== cv.orgId) {
        throw new Error(
          `BfEdge.link: ${node.metadata.className} ${node.id} is not in org ${cv.orgId}`,
        );
      }
    }
    const props = validateProps(
      EDGE_CLASS_NAME,
      this.bfNodeSpec,
      { role },
      true,
    );
    const rows = await bfDb.query<BfRow>(
      `INSERT INTO bfdb_nodes (bf_gid, bf_oid, bf_cid, bf_sid, bf_tid, bf_s_class_name, bf_t_class_name,
                         class_name, props, sort_value)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10)
       RETURNING ${BF_COLUMNS}`,
      [
        generateGid(),
        cv.orgId,
        cv.personId,
        source.id,
        target.id,
        source.metadata.className,
        target.metadata.className,
        EDGE_CLASS_NAME,
        JSON.stringify(props),
        Date.now(),
      ],
    );
    return BfEdge.fromRow(rows[0], cv);
  }

  /**
   * Every edge from or to `nodeId` in `cv`'s org (at most `limit`, newest first): how an
   * operator sees what a node, a job say, is linked to.
   */
  static async touching(
    nodeId: string,
    cv: CurrentViewer,
    limit = 100,
  ): Promise<BfEdge[]> {
    const rows = await bfDb.query<BfRow>(
      `SELECT ${BF_COLUMNS} FROM bfdb_nodes
       WHERE bf_oid = $1 AND class_name = $2 AND (bf_sid = $3 OR bf_tid = $3)
       ORDER BY bf_gid DESC LIMIT $4`,
      [cv.orgId, EDGE_CLASS_NAME, nodeId, limit],
    );
    return rows.map((row) => BfEdge.fromRow(row, cv));
  }
}
