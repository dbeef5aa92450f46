// The dashboard's counts: finished per minute over the last hour, per (queue, type) now and in
// the last hour, read through the finished tables' BRIN index rather than whole days.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { finishedPerMinute } from "./jobThroughput.ts";
import { kindStats } from "./kindStats.ts";
import { summarizeFinishedRanges } from "./pruneJobs.ts";

/** Adds finished jobs straight to `table`, `minutesAgo` minutes before the database's now. */
async function finished(
  table: "bfdb_jobs_completed" | "bfdb_jobs_failed",
  status: string,
  count: number,
  minutesAgo: number,
  kind = { queue: "default", type: "t" },
): Promise<void> {
  await bfDb.query(
    `INSERT INTO ${table} (bf_gid, bf_oid, bf_cid, type, queue, status, payload, sort_value,
                           finished_at)
     SELECT gen_random_uuid()::text, 'org', 'c', $4, $5, $2, '{}', g,
            date_trunc('minute', now()) - $3::int * interval '1 minute' + interval '1 second'
     FROM generate_series(1, $1::int) g`,
    [count, status, minutesAgo, kind.type, kind.queue],
  );
}

dbTest(
  "finishedPerMinute: one row per minute of the window, oldest first, zeros included",
  async () => {
    const [{ now }] = await bfDb.query<{ now: string }>(
      "SELECT bfdb_iso(date_trunc('minute', now())) AS now",
    );
    await finished("bfdb_jobs_completed", "completed", 7, 0);
    await finished("bfdb_jobs_completed", "completed", 3, 5);
    await finished("bfdb_jobs_failed", "failed", 2, 5);
    await finished("bfdb_jobs_failed", "cancelled", 1, 5);
    await finished("bfdb_jobs_completed", "completed", 100, 90); // before the window
    const minutes = await finishedPerMinute(60);
    assert.equal(minutes.length, 60);
    assert.ok(minutes[0].minute < minutes[59].minute);
    // Found by their minute, so a minute turning over mid-test shifts nothing.
    const at = (minutesAgo: number) => {
      const minute = new Date(Date.parse(now) - minutesAgo * 60_000)
        .toISOString();
      const found = minutes.find((m) => m.minute === minute);
      assert.ok(found, `${minute} in ${JSON.stringify(minutes.at(-1))}`);
      return {
        completed: found.completed,
        failed: found.failed,
        cancelled: found.cancelled,
      };
    };
    assert.deepEqual(at(0), { completed: 7, failed: 0, cancelled: 0 });
    assert.deepEqual(at(5), { completed: 3, failed: 2, cancelled: 1 });
    const total = minutes.reduce((n, m) => n + m.completed, 0);
    assert.equal(total, 10);
    await assert.rejects(() => finishedPerMinute(0), RangeError);
  },
);

dbTest(
  "kindStats: waiting, scheduled and in flight now, finished in the last hour, and kept failed",
  async () => {
    const kind = { queue: "emails", type: "send" };
    await bfDb.query(
      `INSERT INTO bfdb_jobs_active (bf_gid, bf_oid, bf_cid, type, queue, status, payload,
                                   sort_value, run_at)
     VALUES ('a1', 'o', 'c', 'send', 'emails', 'available', '{}', 1, now() - interval '5 minutes'),
            ('a2', 'o', 'c', 'send', 'emails', 'available', '{}', 2, now() + interval '1 hour'),
            ('a3', 'o', 'c', 'send', 'emails', 'running', '{}', 3, now())`,
    );
    await finished("bfdb_jobs_completed", "completed", 4, 10, kind);
    await finished("bfdb_jobs_failed", "failed", 2, 10, kind);
    await finished("bfdb_jobs_failed", "failed", 3, 120, kind);
    await finished("bfdb_jobs_completed", "completed", 1, 3);
    const [other, send] = await kindStats();
    assert.equal(other.type, "t");
    assert.equal(other.completedLastHour, 1);
    assert.equal(send.queue, "emails");
    assert.equal(send.waiting, 1);
    assert.equal(send.scheduled, 1);
    assert.equal(send.inFlight, 1);
    assert.equal(send.completedLastHour, 4);
    assert.equal(send.failedLastHour, 2);
    assert.equal(send.deadLetter, 5);
    assert.ok(
      send.oldestWaitingSeconds! >= 299,
      String(send.oldestWaitingSeconds),
    );
  },
);

dbTest(
  "the last hour's count reads the recent end of a day through BRIN once ranges are summarized",
  async () => {
    // 20 hours of finished jobs (today's partition and, early in a UTC day, yesterday's); only
    // the last hour's are wanted.
    await bfDb.query(
      "SELECT bfdb_jobs_ensure_day('bfdb_jobs_completed', (now() AT TIME ZONE 'UTC')::date - 1)",
    );
    await bfDb.query(
      `INSERT INTO bfdb_jobs_completed (bf_gid, bf_oid, bf_cid, type, queue, status, payload,
                                      sort_value, finished_at)
     SELECT 'j' || g, 'o', 'c', 't', 'default', 'completed', '{}', g,
            now() - (1 - g::float8 / 200000) * interval '20 hours'
     FROM generate_series(1, 200000) g`,
    );
    assert.ok(await summarizeFinishedRanges() > 0, "new ranges summarized");
    await bfDb.query("ANALYZE bfdb_jobs_completed");
    const plan = (await bfDb.query<Record<string, string>>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
     SELECT count(*) FROM bfdb_jobs_completed WHERE finished_at >= now() - interval '1 hour'`,
    ))[0];
    const text = JSON.stringify(plan);
    assert.match(text, /finished_at_idx/, "the BRIN index is used");
    const pages = await bfDb.query<{ pages: number }>(
      "SELECT sum(relpages)::int AS pages FROM pg_class WHERE relname LIKE 'bfdb_jobs_completed_p%'",
    );
    const read = [...text.matchAll(/"Shared Hit Blocks": (\d+)/g)]
      .map((m) => Number(m[1]));
    assert.ok(
      Math.max(...read) < pages[0].pages / 4,
      `read ${Math.max(...read)} of ${pages[0].pages} pages`,
    );
  },
);
