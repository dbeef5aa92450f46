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

-- How many jobs a claim of queue `q` may take (at most `wanted`), what held it back, and the
-- instant the claim counts as its start. It locks the queue's settings row first; being
-- VOLATILE, each of its statements then reads a snapshot of its own, taken after the lock, so
-- it sees every claim of the queue committed before it, and no other claim of the queue counts
-- until this one's transaction ends. A queue without settings gets `wanted`.
CREATE OR REPLACE FUNCTION bfdb_job_queue_room(q text, wanted int)
  RETURNS TABLE (room int, at timestamptz, held_back text)
  LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    s bfdb_job_queues%ROWTYPE;
    n int;
  BEGIN
    SELECT * INTO s FROM bfdb_job_queues WHERE queue = q FOR UPDATE;
    room := wanted;
    at := date_trunc('milliseconds', clock_timestamp());
    held_back := NULL;
    IF NOT FOUND THEN
      RETURN NEXT;
      RETURN;
    END IF;
    IF s.paused THEN
      room := 0;
      held_back := 'paused';
      RETURN NEXT;
      RETURN;
    END IF;
    IF s.global_concurrency IS NOT NULL THEN
      SELECT count(*) INTO n FROM bfdb_jobs_active
      WHERE status IN ('claimed', 'running') AND queue = q;
      IF s.global_concurrency - n < room THEN
        room := greatest(0, s.global_concurrency - n);
        held_back := 'concurrency';
      END IF;
    END IF;
    IF s.rate_count IS NOT NULL THEN
      SELECT count(*) INTO n FROM unnest(s.recent_starts) t
      WHERE t > at - s.rate_period_ms * interval '1 millisecond';
      IF s.rate_count - n < room THEN
        room := greatest(0, s.rate_count - n);
        held_back := COALESCE(held_back, 'rate');
      END IF;
    END IF;
    RETURN NEXT;
  END $$;
