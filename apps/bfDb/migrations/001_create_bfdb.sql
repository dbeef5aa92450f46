-- The graph table: nodes and edges of every class, jobs included.
CREATE TABLE IF NOT EXISTS bfdb (
  bf_gid text PRIMARY KEY,
  bf_oid text NOT NULL,
  bf_cid text NOT NULL,
  bf_sid text,
  bf_tid text,
  bf_s_class_name text,
  bf_t_class_name text,
  class_name text NOT NULL,
  props jsonb NOT NULL DEFAULT '{}'::jsonb,
  sort_value bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_updated timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80);

-- Org-scoped lookups and listings of one class.
CREATE INDEX IF NOT EXISTS bfdb_org_class ON bfdb (bf_oid, class_name, sort_value);

-- Edges: a node's targets and a node's sources.
CREATE INDEX IF NOT EXISTS bfdb_edge_source ON bfdb (bf_sid, class_name) WHERE bf_sid IS NOT NULL;
CREATE INDEX IF NOT EXISTS bfdb_edge_target ON bfdb (bf_tid, class_name) WHERE bf_tid IS NOT NULL;
