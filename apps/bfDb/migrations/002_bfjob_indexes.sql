-- Instants in job props are ISO-8601 UTC strings with milliseconds, which sort as text.
CREATE OR REPLACE FUNCTION bfdb_iso(t timestamptz) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- Serves the claim query: only available jobs, in the claim's order. Completed jobs
-- and other node classes never enter it, so claim cost does not grow with them.
CREATE INDEX IF NOT EXISTS bfdb_jobs_available ON bfdb (
  ((props->>'priority')::int) DESC,
  (props->>'runAt'),
  bf_gid
) WHERE class_name = 'BfJob' AND props->>'status' = 'available';

-- Jobs held by workers: heartbeat finds a worker's jobs, the reaper finds expired leases.
CREATE INDEX IF NOT EXISTS bfdb_jobs_in_flight ON bfdb (
  (props->>'workerId'),
  (props->>'lockedUntil')
) WHERE class_name = 'BfJob' AND props->>'status' IN ('claimed', 'running');

-- Appends one entry to a job's error history, keeping the newest 20.
CREATE OR REPLACE FUNCTION bfdb_job_error_history(history jsonb, entry jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT COALESCE(jsonb_agg(e ORDER BY n), '[]'::jsonb) FROM (
      SELECT e, n
      FROM jsonb_array_elements(
        CASE WHEN jsonb_typeof(history) = 'array' THEN history ELSE '[]'::jsonb END
        || jsonb_build_array(entry)
      ) WITH ORDINALITY AS t(e, n)
      ORDER BY n DESC
      LIMIT 20
    ) newest
  $$;
