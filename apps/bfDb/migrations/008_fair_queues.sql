-- Fair share between orgs (issue 14). A queue with `fair_by_org` on is claimed in turns: each
-- claim takes the next orgs with waiting jobs after `fair_cursor` (the last org the previous
-- claim served), a share of the claim each, so one org's backlog cannot starve another's.
ALTER TABLE bfdb_job_queues ADD COLUMN IF NOT EXISTS fair_by_org boolean NOT NULL DEFAULT false;
ALTER TABLE bfdb_job_queues ADD COLUMN IF NOT EXISTS fair_cursor text;

-- The orgs waiting in a fair queue are found through an index of that queue alone, built when
-- fairness is turned on and dropped when it is turned off (`setQueueSettings`), so jobs of every
-- other queue pay nothing for it: an index over all waiting jobs by org added about 40% to the
-- WAL and half again to the time of every insert (measured 2026-12-01, 200,000-row inserts).
-- Its name is derived from the queue's; the queue's name goes into its predicate quoted by
-- format(), the one place a value is spliced, because DDL takes no parameters.
CREATE OR REPLACE FUNCTION bfdb_job_fair_index_name(q text) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$ SELECT 'bfdb_jobs_fair_' || left(md5(q), 24) $$;

CREATE OR REPLACE FUNCTION bfdb_job_fair_index_ddl(q text, online boolean) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$
  SELECT format(
    'CREATE INDEX %s IF NOT EXISTS %I ON bfdb_jobs_active (priority DESC, bf_oid, run_at, bf_gid) '
    'WHERE status = ''available'' AND queue = %L',
    CASE WHEN online THEN 'CONCURRENTLY' ELSE '' END, bfdb_job_fair_index_name(q), q)
$$;

CREATE OR REPLACE FUNCTION bfdb_job_fair_index_drop_ddl(q text, online boolean)
  RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format('DROP INDEX %s IF EXISTS %I',
    CASE WHEN online THEN 'CONCURRENTLY' ELSE '' END, bfdb_job_fair_index_name(q))
$$;

-- The fair pick of at most `wanted` jobs of `types` from queue `q`, locked FOR UPDATE SKIP
-- LOCKED, in claim order `n`, with the org the next claim starts after. Called by the managed
-- claim after `bfdb_job_queue_room` took the queue's row lock, so fair claims of one queue run
-- one at a time and the cursor moves exactly once per claim.
--
-- Priority first: the highest level with waiting jobs is served before the next. Within a level
-- the orgs after the cursor (wrapping round once) are taken in turn, at most `wanted` of them,
-- each given an equal share; the share of an org that has fewer jobs due goes to the others, and
-- orgs with nothing due (only later or other types) are passed over. The work per claim is
-- bounded (`budget` statements, each reading at most `wanted` orgs), whatever the number of
-- waiting jobs or orgs. Custom plans, so every statement uses the queue's own partial index.
CREATE OR REPLACE FUNCTION bfdb_job_fair_pick(q text, types text[], wanted int)
  RETURNS TABLE (tid tid, n int, next_cursor text)
  LANGUAGE plpgsql VOLATILE
  SET plan_cache_mode = force_custom_plan AS $$
  DECLARE
    start_after text;
    next_start text;
    level int := NULL;
    levels int := 0;
    remaining int := wanted;
    orgs text[];
    active text[];
    still text[];
    o text;
    wrapped boolean;
    level_done boolean;
    upto text;
    stretch text[];
    need int;
    batches int := 0;
    statements int := 0;
    -- Statements one claim may run: enough to pass over orgs with nothing due, bounded.
    budget int := 64;
    pass int;
    share int;
    bonus int;
    counts int[];
    r record;
    tids tid[] := '{}';
    turns bigint[] := '{}';
    places int[] := '{}';
  BEGIN
    IF wanted <= 0 THEN
      RETURN;
    END IF;
    SELECT fair_cursor INTO start_after FROM bfdb_job_queues WHERE queue = q;
    next_start := start_after;
    WHILE remaining > 0 AND levels < 16 AND statements < budget LOOP
      SELECT j.priority INTO level FROM bfdb_jobs_active j
      WHERE j.status = 'available' AND j.queue = q AND (level IS NULL OR j.priority < level)
      ORDER BY j.priority DESC LIMIT 1;
      EXIT WHEN NOT FOUND;
      levels := levels + 1;
      -- The orgs of this level after the cursor, then from the start up to it, a claim's worth
      -- at a time (one skip-scan statement each) until the claim is full or every org of the
      -- level has had its turn.
      o := start_after;
      upto := NULL;
      wrapped := start_after IS NULL;
      level_done := false;
      WHILE remaining > 0 AND NOT level_done AND statements < budget LOOP
        orgs := '{}';
        LOOP
          statements := statements + 1;
          need := remaining - cardinality(orgs);
          WITH RECURSIVE walk(org, step) AS (
            SELECT (SELECT min(j.bf_oid) FROM bfdb_jobs_active j
                    WHERE j.status = 'available' AND j.queue = q AND j.priority = level
                      AND j.bf_oid > COALESCE(o, '')), 1
            UNION ALL
            SELECT (SELECT min(j.bf_oid) FROM bfdb_jobs_active j
                    WHERE j.status = 'available' AND j.queue = q AND j.priority = level
                      AND j.bf_oid > walk.org), walk.step + 1
            FROM walk
            WHERE walk.org IS NOT NULL AND walk.step < need
              AND (upto IS NULL OR walk.org < upto)
          )
          SELECT COALESCE(array_agg(org ORDER BY step), '{}') INTO stretch FROM walk
          WHERE org IS NOT NULL AND (upto IS NULL OR org <= upto);
          orgs := orgs || stretch;
          IF cardinality(stretch) = need THEN
            o := stretch[need];
            EXIT;
          END IF;
          -- This stretch of orgs is used up: wrap round once, or the level is done.
          IF wrapped THEN
            level_done := true;
            EXIT;
          END IF;
          wrapped := true;
          o := NULL;
          upto := start_after;
        END LOOP;
        -- Equal shares (the first few one more); an org that could not fill its share drops out
        -- of the next pass, and its share goes to the others. One statement per pass.
        active := orgs;
        pass := 0;
        WHILE remaining > 0 AND cardinality(active) > 0 AND statements < budget LOOP
          statements := statements + 1;
          pass := pass + 1;
          share := remaining / cardinality(active);
          bonus := remaining % cardinality(active);
          counts := array_fill(0, ARRAY[cardinality(active)]);
          FOR r IN
            SELECT x.t, a.place FROM unnest(active) WITH ORDINALITY AS a(org, place)
            CROSS JOIN LATERAL (
              SELECT j.ctid AS t FROM bfdb_jobs_active j
              WHERE j.status = 'available' AND j.queue = q AND j.priority = level
                AND j.bf_oid = a.org AND j.run_at <= now() AND j.type = ANY(types)
                AND j.ctid <> ALL(tids)
              ORDER BY j.run_at, j.bf_gid
              LIMIT share + (a.place <= bonus)::int
              FOR UPDATE SKIP LOCKED
            ) x
          LOOP
            counts[r.place] := counts[r.place] + 1;
            tids := tids || r.t;
            turns := turns || (levels * 1000000000000 + batches * 100000000 + pass * 10000
                               + counts[r.place]);
            places := places || r.place::int;
          END LOOP;
          still := '{}';
          FOR i IN 1 .. cardinality(active) LOOP
            remaining := remaining - counts[i];
            IF counts[i] > 0 AND counts[i] = share + (i <= bonus)::int THEN
              still := still || active[i];
            END IF;
          END LOOP;
          active := still;
        END LOOP;
        batches := batches + 1;
        -- The next claim starts after the last org this one reached, served or not, so orgs
        -- with nothing due are passed over rather than looked at first every time.
        IF cardinality(orgs) > 0 THEN
          next_start := orgs[cardinality(orgs)];
        END IF;
      END LOOP;
    END LOOP;
    RETURN QUERY
      SELECT p.t, (row_number() OVER (ORDER BY p.turn, p.place))::int, next_start
      FROM unnest(tids, turns, places) AS p(t, turn, place);
  END $$;

-- A claim held back by both limits says which one bound it: the rate, when its window leaves
-- less room than the concurrency does (007 named whichever limit it checked first).
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
        held_back := 'rate';
      END IF;
    END IF;
    RETURN NEXT;
  END $$;
