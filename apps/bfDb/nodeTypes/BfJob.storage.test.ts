// Jobs in their own part of bfdb (issue 11): the graph's table is untouched by the queue's
// churn, finished jobs leave by whole days, bf_gid stays unique across the parts, and bfdb is
// still the one relation the memo's ops query, BfNode's API and raw SQL use.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { BfEdge } from "../classes/BfEdge.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { generateGid, gidKindOf } from "../ids.ts";
import { ensureJobPartitions, pruneFinishedJobs } from "../jobs/pruneJobs.ts";
import { PostgresBackend } from "../storage/PostgresBackend.ts";
import { statusCounts, TEST_CV } from "../testing/jobRows.ts";
import { dbTest, withTestDatabase } from "../testing/testDatabase.ts";
import { BfJob } from "./BfJob.ts";
import { BfRecord } from "./BfRecord.ts";

/** Jobs drained through the graph-untouched check (BF_DRAIN_JOBS shortens it). */
const DRAIN = Number(Deno.env.get("BF_DRAIN_JOBS") ?? 1_000_000);
/** Finished jobs removed by the retention check. */
const FINISHED = Number(Deno.env.get("BF_SCALE_ROWS") ?? 1_000_000);

interface TableStats {
  inserted: number;
  updated: number;
  deleted: number;
  dead: number;
  indexBytes: number;
}

/** What the server counts for `table`, after flushing this backend's pending statistics. */
async function tableStats(table: string): Promise<TableStats> {
  await bfDb.query("SELECT pg_stat_force_next_flush()");
  const [row] = await bfDb.query<Record<string, string>>(
    `SELECT n_tup_ins AS inserted, n_tup_upd AS updated, n_tup_del AS deleted,
            n_dead_tup AS dead, pg_indexes_size(relid) AS "indexBytes"
     FROM pg_stat_user_tables WHERE relname = $1`,
    [table],
  );
  return {
    inserted: Number(row.inserted),
    updated: Number(row.updated),
    deleted: Number(row.deleted),
    dead: Number(row.dead),
    indexBytes: Number(row.indexBytes),
  };
}

Deno.test({
  name:
    "storage: draining a million jobs leaves the graph's table and its indexes as they were",
  sanitizeOps: false,
  sanitizeResources: false,
  // One connection, so flushing this backend's statistics flushes every write of the test.
  fn: () =>
    withTestDatabase(async () => {
      const records = await BfRecord.createMany(
        Array.from({ length: 500 }, (_, n) => ({
          recordType: "song",
          data: { n },
        })),
        TEST_CV,
      );
      await BfEdge.link(records[0], records[1], TEST_CV, "next");
      const before = await tableStats("bfdb_nodes");
      assert.equal(before.inserted, 501);
      let drained = 0;
      for (let i = 0; i < DRAIN; i += 10_000) {
        const n = Math.min(10_000, DRAIN - i);
        await BfJob.createMany(
          Array.from(
            { length: n },
            (_, k) => ({ type: "noop", payload: { k } }),
          ),
          TEST_CV,
        );
        while (true) {
          const jobs = await BfJob.claimBatch("drainer", {
            types: ["noop"],
            limit: 2_000,
            start: true,
          });
          if (jobs.length === 0) break;
          drained += (await BfJob.completeMany(
            "drainer",
            jobs.map((j) => j.held),
          ))
            .length;
        }
      }
      assert.equal(drained, DRAIN);
      assert.deepEqual(await statusCounts(), { completed: DRAIN });
      const after = await tableStats("bfdb_nodes");
      assert.deepEqual(after, before, "the graph's table saw no write at all");
    }, { maxConnections: 1 }),
});

dbTest(
  "storage: a million finished jobs go by whole day partitions: no dead tuples, nothing else touched",
  async () => {
    // Yesterday's and the day before's jobs, and today's, in their own partitions.
    await bfDb.query(
      "SELECT bfdb_jobs_ensure_day('bfdb_jobs_completed', (now() AT TIME ZONE 'UTC')::date - d) FROM generate_series(1, 2) d",
    );
    await bfDb.query(
      `INSERT INTO bfdb_jobs_completed (bf_gid, bf_oid, bf_cid, type, status, attempts,
         started_at, finished_at, payload, sort_value)
       SELECT gen_random_uuid()::text, 'org', 'p', 'noop', 'completed', 1,
              now() - interval '2 days', now() - interval '2 days', '{}'::jsonb, g
       FROM generate_series(1, $1::int) g`,
      [FINISHED],
    );
    const kept = await BfJob.create({ type: "noop", payload: {} }, TEST_CV);
    const claimed = await BfJob.claimNext("w");
    assert.ok(claimed && await claimed.complete());
    const failed = await BfJob.create({ type: "noop", payload: {} }, TEST_CV);
    const doomed = await BfJob.claimNext("w");
    assert.equal(doomed?.id, failed.id);
    await doomed.fail("broken", { permanent: true });

    const result = await pruneFinishedJobs("bfdb_jobs_completed", 86_400_000);
    assert.equal(result.removed, FINISHED);
    assert.ok(result.partitions >= 1);
    assert.deepEqual(await statusCounts(), { completed: 1, failed: 1 });
    assert.equal((await BfJob.get(kept.id))?.props.status, "completed");
    const [{ dead }] = await bfDb.query<{ dead: string }>(
      `SELECT COALESCE(sum(n_dead_tup), 0) AS dead FROM pg_stat_user_tables
       WHERE relname LIKE 'bfdb_jobs_completed%'`,
    );
    assert.equal(
      Number(dead),
      0,
      "removing whole partitions leaves no dead tuple",
    );
    // Failed jobs keep their own, longer retention.
    assert.equal(
      (await pruneFinishedJobs("bfdb_jobs_failed", 86_400_000)).removed,
      0,
    );
    assert.equal(await ensureJobPartitions(2) >= 0, true);
  },
);

dbTest(
  "storage: bf_gid stays unique across the parts of bfdb",
  async ({ url }) => {
    // Ids bfDb mints say which part they are for, so a node's can never equal a job's.
    const nodeId = generateGid(Date.now(), "node");
    const jobId = generateGid(Date.now(), "job");
    assert.equal(gidKindOf(nodeId), "node");
    assert.equal(gidKindOf(jobId), "job");
    const job = await BfJob.create({ type: "noop", payload: {} }, TEST_CV);
    assert.equal(gidKindOf(job.id), "job");
    const [record] = await BfRecord.createMany(
      [{ recordType: "x", data: {} }],
      TEST_CV,
    );
    assert.equal(gidKindOf(record.id), "node");

    // Raw SQL through bfdb with an id of its own choosing is checked against every part.
    const rawInsert = (id: string, className: string, props: unknown) =>
      bfDb.query(
        `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
       VALUES ($1, 'o', 'o', $2, $3::text::jsonb, 0)`,
        [id, className, JSON.stringify(props)],
      );
    await assert.rejects(rawInsert(job.id, "Thing", {}), /duplicate key/);
    await assert.rejects(
      rawInsert(record.id, "BfJob", { type: "t", payload: {} }),
      /duplicate key/,
    );
    await rawInsert("raw-node", "Thing", { a: 1 });
    await rawInsert("raw-job", "BfJob", { type: "t", payload: { b: 2 } });
    await assert.rejects(
      rawInsert("raw-node", "BfJob", { type: "t" }),
      /duplicate key/,
    );
    await assert.rejects(rawInsert("raw-job", "Thing", {}), /duplicate key/);

    // Eight connections race to insert one id, half as a node and half as a job: one wins.
    const clients = Array.from(
      { length: 8 },
      () => new PostgresBackend(url, { maxConnections: 1 }),
    );
    try {
      for (let round = 0; round < 20; round++) {
        const id = `race-${round}`;
        const outcomes = await Promise.allSettled(clients.map((c, i) =>
          c.query(
            `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
           VALUES ($1, 'o', 'o', $2, $3::text::jsonb, 0)`,
            [
              id,
              i % 2 ? "BfJob" : "Thing",
              JSON.stringify({ type: "t", payload: {} }),
            ],
          )
        ));
        assert.equal(
          outcomes.filter((o) => o.status === "fulfilled").length,
          1,
          `round ${round}: ${outcomes.map((o) => o.status).join(", ")}`,
        );
        const [{ n }] = await bfDb.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM bfdb WHERE bf_gid = $1",
          [id],
        );
        assert.equal(Number(n), 1);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  },
);

dbTest(
  "storage: BfJob stays a BfNode: find, query, org scoping, edges, transactions",
  async () => {
    const other = CurrentViewer.forOrg("another_org");
    const job = await BfJob.create(
      { type: "noop", payload: { n: 1 } },
      TEST_CV,
    );
    assert.deepEqual((await BfJob.find(TEST_CV, job.id))?.props.payload, {
      n: 1,
    });
    assert.equal(
      await BfJob.find(other, job.id),
      null,
      "other orgs do not see it",
    );
    assert.deepEqual(
      (await BfJob.query(TEST_CV, { props: { type: "noop" } })).map((j) =>
        j.id
      ),
      [job.id],
    );
    const [record] = await BfRecord.createMany(
      [{ recordType: "x", data: {} }],
      TEST_CV,
    );
    await BfEdge.link(record, job, TEST_CV, "enqueued");
    assert.deepEqual(
      (await record.queryTargets(BfJob, "enqueued")).map((j) => j.id),
      [job.id],
    );
    assert.deepEqual((await job.querySources(BfRecord)).map((r) => r.id), [
      record.id,
    ]);

    // A business write and the job it triggers commit or roll back together.
    await assert.rejects(
      bfDb.transaction(async () => {
        await BfRecord.create({ recordType: "y", data: {} }, TEST_CV);
        await BfJob.create({ type: "noop", payload: { n: 2 } }, TEST_CV);
        throw new Error("rolled back");
      }),
      /rolled back/,
    );
    assert.equal((await BfJob.query(TEST_CV)).length, 1);
    assert.equal(
      (await BfRecord.query(TEST_CV, { props: { recordType: "y" } })).length,
      0,
    );

    // The memo's ops query, verbatim, counts every part.
    const claimed = await BfJob.claimNext("w");
    assert.ok(claimed && await claimed.complete());
    await BfJob.create({ type: "noop", payload: {} }, TEST_CV);
    const rows = await bfDb.query<{ status: string; count: string }>(
      "SELECT props->>'status', COUNT(*) FROM bfDb WHERE class_name = 'BfJob' GROUP BY 1",
    );
    assert.deepEqual(
      Object.fromEntries(
        rows.map((r) => [Object.values(r)[0], Number(r.count)]),
      ),
      { available: 1, completed: 1 },
    );
  },
);

dbTest(
  "storage: a bulk raw INSERT through the bfdb view lands every row and still refuses a duplicate id",
  async () => {
    // One statement, 30,000 rows: the view's trigger locks one of 256 buckets per id, not one
    // lock per row (which ran out of shared memory).
    await bfDb.query(
      `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
       SELECT 'bulk-' || g, 'org_bulk', 'p', 'BfRecord',
              '{"recordType": "song", "data": {}}', g
       FROM generate_series(1, 30000) g`,
    );
    const [row] = await bfDb.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM bfdb_nodes WHERE bf_oid = 'org_bulk'",
    );
    assert.equal(row.n, 30_000);
    const job = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    await assert.rejects(
      bfDb.query(
        `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
         VALUES ($1, 'org_bulk', 'p', 'BfRecord', '{"recordType": "song", "data": {}}', 1)`,
        [job.id],
      ),
      /duplicate key value violates unique constraint "bfdb_gid"/,
    );
  },
);
