-- The registry of live workers: one small row per worker process, renewed by its heartbeat, so
-- operators (bft jobs status, the dashboard) can tell which (queue, type) pairs anyone serves.
-- Kept apart from the graph for the same reason as the jobs: it churns.
CREATE TABLE IF NOT EXISTS bfdb_workers (
  worker_id text PRIMARY KEY,
  host text NOT NULL,
  pid int NOT NULL,
  concurrency int NOT NULL,
  -- [{"queue": "default", "type": "track_usage"}, ...]: what its claims ask for.
  kinds jsonb NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now(),
  -- Alive while expires_at > now(): a lease on the worker itself, as long as its job leases.
  expires_at timestamptz NOT NULL,
  running int NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
