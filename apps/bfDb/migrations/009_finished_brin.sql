-- The dashboard's chart counts jobs finished per minute over the last hour. Finished rows are
-- appended in finish order, so a BRIN index on finished_at (a few pages per partition, almost
-- free to maintain, unlike a B-tree entry per job) lets that count read only the recent end of
-- a day's partition. Block ranges are summarized by autovacuum (autosummarize) and by the
-- pruner duty; ranges not yet summarized are always read, and those are the newest rows.
CREATE INDEX IF NOT EXISTS bfdb_jobs_completed_finished ON bfdb_jobs_completed
  USING brin (finished_at) WITH (pages_per_range = 16, autosummarize = on);
CREATE INDEX IF NOT EXISTS bfdb_jobs_failed_finished ON bfdb_jobs_failed
  USING brin (finished_at) WITH (pages_per_range = 16, autosummarize = on);
