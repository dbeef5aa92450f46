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
-- bounded (`budget` index probes), whatever the number of waiting jobs or orgs. Custom plans,
-- so every probe uses the queue's own partial index.
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
    batches int := 0;
    probes int := 0;
    -- Index probes one claim may make: enough to pass over orgs with nothing due, bounded.
    budget int := 4 * wanted + 32;
    pass int;
    share int;
    took int;
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
    WHILE remaining > 0 AND levels < 16 AND probes < budget LOOP
      SELECT j.priority INTO level FROM bfdb_jobs_active j
      WHERE j.status = 'available' AND j.queue = q AND (level IS NULL OR j.priority < level)
      ORDER BY j.priority DESC LIMIT 1;
      EXIT WHEN NOT FOUND;
      levels := levels + 1;
      -- The orgs of this level after the cursor, then from the start up to it, a claim's worth
      -- at a time until the claim is full or every org of the level has had its turn.
      o := start_after;
      wrapped := start_after IS NULL;
      level_done := false;
      WHILE remaining > 0 AND NOT level_done AND probes < budget LOOP
        orgs := '{}';
        WHILE cardinality(orgs) < remaining AND probes < budget LOOP
          probes := probes + 1;
          SELECT min(j.bf_oid) INTO o FROM bfdb_jobs_active j
          WHERE j.status = 'available' AND j.queue = q AND j.priority = level
            AND j.bf_oid > COALESCE(o, '');
          IF o IS NULL THEN
            level_done := wrapped;
            EXIT WHEN wrapped;
            wrapped := true;
            CONTINUE;
          END IF;
          IF wrapped AND start_after IS NOT NULL AND o > start_after THEN
            level_done := true;
            EXIT;
          END IF;
          orgs := orgs || o;
        END LOOP;
        -- Equal shares; an org that could not fill its share drops out of the next pass.
        active := orgs;
        pass := 0;
        WHILE remaining > 0 AND cardinality(active) > 0 LOOP
          pass := pass + 1;
          share := ceil(remaining::numeric / cardinality(active));
          still := '{}';
          FOR i IN 1 .. cardinality(active) LOOP
            EXIT WHEN remaining <= 0;
            probes := probes + 1;
            took := 0;
            FOR r IN
              SELECT j.ctid AS t FROM bfdb_jobs_active j
              WHERE j.status = 'available' AND j.queue = q AND j.priority = level
                AND j.bf_oid = active[i] AND j.run_at <= now() AND j.type = ANY(types)
                AND j.ctid <> ALL(tids)
              ORDER BY j.run_at, j.bf_gid
              LIMIT least(share, remaining)
              FOR UPDATE SKIP LOCKED
            LOOP
              took := took + 1;
              tids := tids || r.t;
              turns := turns || (levels * 1000000000000 + batches * 100000000 + pass * 10000 + took);
              places := places || i;
            END LOOP;
            remaining := remaining - took;
            IF took = share THEN
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
