/** The columns of one `bfdb` row, as read back from either backend. */
export interface BfRow {
  bf_gid: string;
  bf_oid: string;
  bf_cid: string;
  bf_sid: string | null;
  bf_tid: string | null;
  bf_s_class_name: string | null;
  bf_t_class_name: string | null;
  class_name: string;
  props: Record<string, unknown> | string;
  sort_value: number | string | bigint;
  created_at: Date | string;
  last_updated: Date | string;
  [column: string]: unknown;
}

/** A node's identity and bookkeeping, apart from its props. */
export interface BfMetadata {
  bfGid: string;
  bfOid: string;
  bfCid: string;
  className: string;
  sortValue: number;
  createdAt: Date;
  lastUpdated: Date;
  bfSid?: string;
  bfTid?: string;
  bfSClassName?: string;
  bfTClassName?: string;
}

/** Every column, in the order `INSERT … RETURNING` and `SELECT` use. */
export const BF_COLUMNS =
  "bf_gid, bf_oid, bf_cid, bf_sid, bf_tid, bf_s_class_name, bf_t_class_name, class_name, props, sort_value, created_at, last_updated";

/** Reads metadata and props out of a row, whichever backend produced it. */
export function parseRow(
  row: BfRow,
): { metadata: BfMetadata; props: Record<string, unknown> } {
  const props = typeof row.props === "string"
    ? JSON.parse(row.props)
    : row.props;
  const metadata: BfMetadata = {
    bfGid: row.bf_gid,
    bfOid: row.bf_oid,
    bfCid: row.bf_cid,
    className: row.class_name,
    sortValue: Number(row.sort_value),
    createdAt: new Date(row.created_at),
    lastUpdated: new Date(row.last_updated),
  };
  if (row.bf_sid) metadata.bfSid = row.bf_sid;
  if (row.bf_tid) metadata.bfTid = row.bf_tid;
  if (row.bf_s_class_name) metadata.bfSClassName = row.bf_s_class_name;
  if (row.bf_t_class_name) metadata.bfTClassName = row.bf_t_class_name;
  return { metadata, props };
}
