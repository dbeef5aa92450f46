-- Jobs get their own part of bfdb (issue 11). The graph's nodes and edges stay in the table
-- that held everything (renamed bfdb_nodes); jobs live in narrow tables of their own: the ones
-- waiting or in flight in bfdb_jobs_active, finished ones in bfdb_jobs_completed and
-- bfdb_jobs_failed, partitioned by the day they finished so retention drops whole days. A job
-- row changes columns, not jsonb: its props are put together only when someone reads them.
-- `bfdb` becomes a view over all of it, so the application and operators still read (and, through
-- its INSTEAD OF triggers, write) one relation, and the memo's ops query works verbatim.

ALTER TABLE bfdb RENAME TO bfdb_nodes;
ALTER INDEX bfdb_pkey RENAME TO bfdb_nodes_pkey;
DROP INDEX IF EXISTS bfdb_jobs_available;
DROP INDEX IF EXISTS bfdb_jobs_in_flight;

CREATE TABLE bfdb_jobs_active (
  bf_gid text NOT NULL,
  bf_oid text NOT NULL,
  bf_cid text NOT NULL,
  type text NOT NULL,
  queue text NOT NULL DEFAULT 'default',
  status text NOT NULL,
  priority int NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts int NOT NULL DEFAULT 0,
  max_attempts int NOT NULL DEFAULT 3,
  worker_id text,
  locked_until timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  cancelled_at timestamptz,
  payload jsonb NOT NULL,
  error text,
  errors jsonb,
  extra jsonb,
  sort_value bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_updated timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT bfdb_jobs_active_pkey PRIMARY KEY (bf_gid),
  CONSTRAINT bfdb_jobs_active_status CHECK (status IN ('available', 'claimed', 'running'))
) WITH (
  fillfactor = 90,
  -- The queue's churn is vacuumed by size, not by share: the table stays small while a
  -- million jobs pass through it.
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 5000,
  autovacuum_vacuum_insert_scale_factor = 0,
  autovacuum_vacuum_insert_threshold = 10000,
  autovacuum_analyze_scale_factor = 0,
  autovacuum_analyze_threshold = 10000,
  autovacuum_vacuum_cost_delay = 0
);

-- The claim: available jobs by what a worker asks for (queue, type), in claim order.
CREATE INDEX bfdb_jobs_available ON bfdb_jobs_active (queue, type, priority DESC, run_at, bf_gid)
  WHERE status = 'available';
-- The reaper: leases of jobs in flight, by expiry.
CREATE INDEX bfdb_jobs_in_flight ON bfdb_jobs_active (locked_until)
  WHERE status IN ('claimed', 'running');

-- Finished jobs: appended once, never updated, removed a whole day at a time.
CREATE TABLE bfdb_jobs_completed (LIKE bfdb_jobs_active INCLUDING DEFAULTS)
  PARTITION BY RANGE (finished_at);
ALTER TABLE bfdb_jobs_completed
  ADD CONSTRAINT bfdb_jobs_completed_status CHECK (status = 'completed');
CREATE TABLE bfdb_jobs_failed (LIKE bfdb_jobs_active INCLUDING DEFAULTS)
  PARTITION BY RANGE (finished_at);
ALTER TABLE bfdb_jobs_failed
  ADD CONSTRAINT bfdb_jobs_failed_status CHECK (status IN ('failed', 'cancelled'));
-- Rows whose day has no partition yet land here; the pruner moves them out as it creates days.
CREATE TABLE bfdb_jobs_completed_default PARTITION OF bfdb_jobs_completed DEFAULT;
CREATE TABLE bfdb_jobs_failed_default PARTITION OF bfdb_jobs_failed DEFAULT;
CREATE INDEX bfdb_jobs_completed_gid ON bfdb_jobs_completed (bf_gid);
CREATE INDEX bfdb_jobs_failed_gid ON bfdb_jobs_failed (bf_gid);
CREATE INDEX bfdb_jobs_failed_type ON bfdb_jobs_failed (type, finished_at);

-- The one definition of retry backoff (the settler's, BfJob's and the reaper's retries all use
-- it): exponential from base_ms, capped at max_ms, with "equal jitter" (half fixed, half random
-- by `jitter` in [0, 1]) so a burst of failures does not retry in lockstep.
CREATE OR REPLACE FUNCTION bfdb_job_retry_delay_ms(
  attempt int, base_ms bigint, max_ms bigint, jitter float8
) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT round(ceiling / 2 + jitter * (ceiling / 2))::bigint FROM (
      SELECT least(max_ms::float8,
                   base_ms * power(2::float8, greatest(0, least(coalesce(attempt, 1) - 1, 40))))
             AS ceiling
    ) c
  $$;

-- Ids of keyed jobs (an id derived from a key: one job per key, ever, whatever became of it).
-- The job tables' own keys cannot see across waiting and finished jobs; this one does.
CREATE TABLE bfdb_job_keys (
  bf_gid text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Creates the day partition of `parent` (bfdb_jobs_completed or bfdb_jobs_failed) holding
-- `day`, if missing: as a plain table first, filled with that day's rows from the default
-- partition, then attached, so rows that landed in the default partition never block it.
-- Returns whether it created one.
CREATE OR REPLACE FUNCTION bfdb_jobs_ensure_day(parent regclass, day date) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    base text := parent::text;
    name text := base || '_p' || to_char(day, 'YYYYMMDD');
    lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
  BEGIN
    IF base NOT IN ('bfdb_jobs_completed', 'bfdb_jobs_failed') THEN
      RAISE EXCEPTION 'bfdb_jobs_ensure_day: % is not a finished-jobs table', base;
    END IF;
    IF to_regclass(name) IS NOT NULL THEN RETURN false; END IF;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name, base);
    EXECUTE format(
      'WITH moved AS (DELETE FROM %I WHERE finished_at >= $1 AND finished_at < $2 RETURNING *)
       INSERT INTO %I SELECT * FROM moved', base || '_default', name) USING lo, hi;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
      base, name, lo, hi);
    RETURN true;
  END $$;

SELECT bfdb_jobs_ensure_day(t, (now() AT TIME ZONE 'UTC')::date + d)
FROM unnest(ARRAY['bfdb_jobs_completed', 'bfdb_jobs_failed']::regclass[]) AS t,
     generate_series(0, 2) AS d;

-- Every job, waiting, in flight or finished, as columns.
CREATE VIEW bfdb_jobs AS
  SELECT * FROM bfdb_jobs_active
  UNION ALL SELECT * FROM bfdb_jobs_completed
  UNION ALL SELECT * FROM bfdb_jobs_failed;

-- Every job as a bfdb row: props put together from the columns, instants in the sortable ISO
-- form, absent fields left out (as BfJob writes them).
CREATE VIEW bfdb_job_rows AS
  SELECT bf_gid, bf_oid, bf_cid, NULL::text AS bf_sid, NULL::text AS bf_tid,
         NULL::text AS bf_s_class_name, NULL::text AS bf_t_class_name,
         'BfJob'::text AS class_name,
         jsonb_build_object(
           'type', type, 'payload', payload, 'status', status, 'attempts', attempts,
           'maxAttempts', max_attempts, 'runAt', bfdb_iso(run_at), 'priority', priority,
           'queue', queue, 'errors', COALESCE(errors, '[]'::jsonb))
         || CASE WHEN error IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('error', error) END
         || CASE WHEN worker_id IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('workerId', worker_id) END
         || CASE WHEN locked_until IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('lockedUntil', bfdb_iso(locked_until)) END
         || CASE WHEN started_at IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('startedAt', bfdb_iso(started_at)) END
         || CASE WHEN finished_at IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('finishedAt', bfdb_iso(finished_at)) END
         || CASE WHEN cancelled_at IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('cancelledAt', bfdb_iso(cancelled_at)) END
         || COALESCE(extra, '{}'::jsonb) AS props,
         sort_value, created_at, last_updated
  FROM bfdb_jobs;

-- Move the jobs out of the graph's table, every row keeping its id.
INSERT INTO bfdb_jobs_active
  SELECT * FROM (
    SELECT bf_gid, bf_oid, bf_cid, props->>'type', COALESCE(props->>'queue', 'default'),
           props->>'status', COALESCE((props->>'priority')::int, 0),
           COALESCE((props->>'runAt')::timestamptz, created_at),
           COALESCE((props->>'attempts')::int, 0), COALESCE((props->>'maxAttempts')::int, 3),
           props->>'workerId', (props->>'lockedUntil')::timestamptz,
           (props->>'startedAt')::timestamptz, (props->>'finishedAt')::timestamptz,
           (props->>'cancelledAt')::timestamptz, COALESCE(props->'payload', 'null'::jsonb),
           props->>'error', props->'errors', NULL::jsonb, sort_value, created_at, last_updated
    FROM bfdb_nodes WHERE class_name = 'BfJob'
      AND props->>'status' IN ('available', 'claimed', 'running')
  ) AS moved;
INSERT INTO bfdb_jobs_completed
  SELECT bf_gid, bf_oid, bf_cid, props->>'type', COALESCE(props->>'queue', 'default'),
         'completed', COALESCE((props->>'priority')::int, 0),
         COALESCE((props->>'runAt')::timestamptz, created_at),
         COALESCE((props->>'attempts')::int, 0), COALESCE((props->>'maxAttempts')::int, 3),
         props->>'workerId', NULL, (props->>'startedAt')::timestamptz,
         COALESCE((props->>'finishedAt')::timestamptz, last_updated),
         (props->>'cancelledAt')::timestamptz, COALESCE(props->'payload', 'null'::jsonb),
         props->>'error', props->'errors', NULL, sort_value, created_at, last_updated
  FROM bfdb_nodes WHERE class_name = 'BfJob' AND props->>'status' = 'completed';
INSERT INTO bfdb_jobs_failed
  SELECT bf_gid, bf_oid, bf_cid, props->>'type', COALESCE(props->>'queue', 'default'),
         CASE WHEN props ? 'cancelledAt' THEN 'cancelled' ELSE 'failed' END,
         COALESCE((props->>'priority')::int, 0),
         COALESCE((props->>'runAt')::timestamptz, created_at),
         COALESCE((props->>'attempts')::int, 0), COALESCE((props->>'maxAttempts')::int, 3),
         props->>'workerId', NULL, (props->>'startedAt')::timestamptz,
         COALESCE((props->>'finishedAt')::timestamptz, last_updated),
         (props->>'cancelledAt')::timestamptz, COALESCE(props->'payload', 'null'::jsonb),
         props->>'error', props->'errors', NULL, sort_value, created_at, last_updated
  FROM bfdb_nodes WHERE class_name = 'BfJob' AND props->>'status' = 'failed';
-- Jobs enqueued by key before (their ids are name-based UUIDs, version 8) stay keyed.
INSERT INTO bfdb_job_keys (bf_gid)
  SELECT bf_gid FROM bfdb_nodes WHERE class_name = 'BfJob' AND substr(bf_gid, 15, 1) = '8';
DELETE FROM bfdb_nodes WHERE class_name = 'BfJob';
ALTER TABLE bfdb_nodes ADD CONSTRAINT bfdb_nodes_no_jobs CHECK (class_name <> 'BfJob');

-- The one relation the application and operators read: the graph's rows and every job.
CREATE VIEW bfdb AS
  SELECT bf_gid, bf_oid, bf_cid, bf_sid, bf_tid, bf_s_class_name, bf_t_class_name, class_name,
         props, sort_value, created_at, last_updated
  FROM bfdb_nodes
  UNION ALL
  SELECT * FROM bfdb_job_rows;

-- Raw SQL writes through the view (the application's code goes to the tables directly).
-- A row inserted here with an id of its own choosing is checked against every part under a
-- lock on that id, so two such inserts of one id cannot both succeed; ids bfDb mints cannot
-- collide across parts (see apps/bfDb/ids.ts).
CREATE OR REPLACE FUNCTION bfdb_view_write() RETURNS trigger
  LANGUAGE plpgsql AS $$
  DECLARE
    p jsonb;
    target text;
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      IF OLD.class_name = 'BfJob' THEN
        DELETE FROM bfdb_jobs_active WHERE bf_gid = OLD.bf_gid;
        DELETE FROM bfdb_jobs_completed WHERE bf_gid = OLD.bf_gid;
        DELETE FROM bfdb_jobs_failed WHERE bf_gid = OLD.bf_gid;
      ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM bfdb_nodes WHERE bf_gid = OLD.bf_gid;
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.bf_gid IS DISTINCT FROM OLD.bf_gid THEN
      -- One of 256 buckets per id: two writers of one id serialize here, and a bulk raw insert
      -- holds at most 256 locks (a lock per row ran out of shared memory at 100,000 rows).
      PERFORM pg_advisory_xact_lock(7241560, hashtext(NEW.bf_gid) & 255);
      IF EXISTS (SELECT 1 FROM bfdb_nodes WHERE bf_gid = NEW.bf_gid)
         OR EXISTS (SELECT 1 FROM bfdb_jobs WHERE bf_gid = NEW.bf_gid) THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "bfdb_gid"'
          USING ERRCODE = 'unique_violation', DETAIL = format('Key (bf_gid)=(%s) already exists.', NEW.bf_gid);
      END IF;
    END IF;
    IF (TG_OP = 'UPDATE' AND OLD.class_name <> 'BfJob') THEN
      IF NEW.class_name = 'BfJob' THEN
        RAISE EXCEPTION 'bfdb: a node cannot become a BfJob' USING ERRCODE = 'check_violation';
      END IF;
      UPDATE bfdb_nodes SET bf_gid = NEW.bf_gid, bf_oid = NEW.bf_oid, bf_cid = NEW.bf_cid,
        bf_sid = NEW.bf_sid, bf_tid = NEW.bf_tid, bf_s_class_name = NEW.bf_s_class_name,
        bf_t_class_name = NEW.bf_t_class_name, class_name = NEW.class_name, props = NEW.props,
        sort_value = NEW.sort_value, created_at = NEW.created_at, last_updated = NEW.last_updated
      WHERE bf_gid = OLD.bf_gid;
      RETURN NEW;
    END IF;
    IF NEW.class_name <> 'BfJob' THEN
      INSERT INTO bfdb_nodes VALUES (NEW.bf_gid, NEW.bf_oid, NEW.bf_cid, NEW.bf_sid, NEW.bf_tid,
        NEW.bf_s_class_name, NEW.bf_t_class_name, NEW.class_name, COALESCE(NEW.props, '{}'),
        NEW.sort_value, COALESCE(NEW.created_at, now()), COALESCE(NEW.last_updated, now()));
      RETURN NEW;
    END IF;
    p := COALESCE(NEW.props, '{}'::jsonb);
    target := CASE COALESCE(p->>'status', 'available')
      WHEN 'completed' THEN 'bfdb_jobs_completed'
      WHEN 'failed' THEN 'bfdb_jobs_failed'
      WHEN 'cancelled' THEN 'bfdb_jobs_failed'
      ELSE 'bfdb_jobs_active' END;
    EXECUTE format('INSERT INTO %I VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
        $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)', target)
      USING NEW.bf_gid, NEW.bf_oid, NEW.bf_cid, p->>'type', COALESCE(p->>'queue', 'default'),
        COALESCE(p->>'status', 'available'), COALESCE((p->>'priority')::int, 0),
        COALESCE((p->>'runAt')::timestamptz, now()), COALESCE((p->>'attempts')::int, 0),
        COALESCE((p->>'maxAttempts')::int, 3), p->>'workerId', (p->>'lockedUntil')::timestamptz,
        (p->>'startedAt')::timestamptz,
        CASE WHEN target = 'bfdb_jobs_active' THEN (p->>'finishedAt')::timestamptz
             ELSE COALESCE((p->>'finishedAt')::timestamptz, now()) END,
        (p->>'cancelledAt')::timestamptz, COALESCE(p->'payload', 'null'::jsonb), p->>'error',
        p->'errors',
        NULLIF(p - ARRAY['type', 'queue', 'status', 'priority', 'runAt', 'attempts',
          'maxAttempts', 'workerId', 'lockedUntil', 'startedAt', 'finishedAt', 'cancelledAt',
          'payload', 'error', 'errors'], '{}'::jsonb),
        NEW.sort_value, COALESCE(NEW.created_at, now()), COALESCE(NEW.last_updated, now());
    RETURN NEW;
  END $$;

CREATE TRIGGER bfdb_view_write INSTEAD OF INSERT OR UPDATE OR DELETE ON bfdb
  FOR EACH ROW EXECUTE FUNCTION bfdb_view_write();
