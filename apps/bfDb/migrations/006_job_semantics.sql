-- Unique jobs (issue 13). A unique job carries its key in `extra`, where the props of a job that
-- are not columns live: `uniqueKey` and `uniqueScope` for operators to read, and, for the two
-- scopes a unique index can hold, the field that index is built on.
--
-- scope "waiting": at most one job per (org, type, key) that is `available` and has never been
-- handed back. The key is held in `waitingKey` from creation until the job first leaves
-- `available`; every statement that returns a job to `available` (retry, release, reap, snooze,
-- operator retry) drops it, so a job created while its twin ran never collides with the twin.
CREATE UNIQUE INDEX IF NOT EXISTS bfdb_jobs_unique_waiting
  ON bfdb_jobs_active (bf_oid, type, (extra->>'waitingKey'))
  WHERE status = 'available' AND extra ? 'waitingKey';

-- scope "active": at most one job per (org, type, key) waiting or in flight. The active table
-- holds exactly those jobs; a finished job leaves it, and with it the key.
CREATE UNIQUE INDEX IF NOT EXISTS bfdb_jobs_unique_active
  ON bfdb_jobs_active (bf_oid, type, (extra->>'activeKey'))
  WHERE extra ? 'activeKey';

-- scope "period": one job per key per window, whatever became of it; its id is derived from the
-- key and the window and registered in bfdb_job_keys, which now records when a key may go (the
-- window's end). NULL keeps a key for ever (createOnce).
ALTER TABLE bfdb_job_keys ADD COLUMN IF NOT EXISTS expires_at timestamptz;
CREATE INDEX IF NOT EXISTS bfdb_job_keys_expiry ON bfdb_job_keys (expires_at)
  WHERE expires_at IS NOT NULL;
