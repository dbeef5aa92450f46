-- Queue settings (issue 14): one row per queue that has any (paused, or a limit); a queue
-- without a row is unlimited, and the plain claim checks that in the same statement, so a limit
-- set a moment ago is never missed by a worker whose cache is stale. `recent_starts` holds the
-- starts of the current rate window (at most rate_count instants), so the rate limit is an exact
-- sliding window, checked and written under this row's lock by every claim of the queue.
CREATE TABLE IF NOT EXISTS bfdb_job_queues (
  queue text PRIMARY KEY,
  paused boolean NOT NULL DEFAULT false,
  global_concurrency int CHECK (global_concurrency IS NULL OR global_concurrency >= 0),
  rate_count int CHECK (rate_count IS NULL OR rate_count >= 1),
  rate_period_ms bigint CHECK (rate_period_ms IS NULL OR rate_period_ms >= 1),
  recent_starts timestamptz[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT bfdb_job_queues_rate CHECK ((rate_count IS NULL) = (rate_period_ms IS NULL))
) WITH (fillfactor = 50);
