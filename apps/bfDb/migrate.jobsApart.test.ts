// Migration 004 (issue 11): a database made by the earlier migrations, holding jobs in every
// state, nodes and edges in its one table, comes out with every row in its place, every id
// kept, and the queue working on the moved jobs.
import assert from "node:assert/strict";
import { bfDb } from "./bfDb.ts";
import { loadMigrations, migrate } from "./migrate.ts";
import { BfJob } from "./nodeTypes/BfJob.ts";
import { withTestDatabase } from "./testing/testDatabase.ts";
import { statusCounts } from "./testing/jobRows.ts";

/** Old-style job rows (props carry everything), one per state. */
const OLD_JOBS = [
  { id: "job-available", props: { status: "available", attempts: 0 } },
  {
    id: "job-claimed",
    props: {
      status: "claimed",
      attempts: 1,
      workerId: "w-old",
      lockedUntil: "2000-01-01T00:00:00.000Z",
    },
  },
  {
    id: "job-running",
    props: {
      status: "running",
      attempts: 2,
      workerId: "w-old",
      lockedUntil: "2000-01-01T00:00:00.000Z",
      startedAt: "2026-11-30T10:00:00.000Z",
    },
  },
  {
    id: "job-completed",
    props: {
      status: "completed",
      attempts: 1,
      workerId: "w-old",
      startedAt: "2026-11-30T10:00:00.000Z",
      finishedAt: "2026-11-30T10:00:01.000Z",
    },
  },
  {
    id: "job-failed",
    props: {
      status: "failed",
      attempts: 3,
      error: "boom",
      finishedAt: "2026-11-30T10:00:02.000Z",
      errors: [{
        attempt: 3,
        error: "boom",
        at: "2026-11-30T10:00:02.000Z",
        permanent: false,
      }],
    },
  },
  {
    id: "job-cancelled",
    props: {
      status: "failed",
      attempts: 0,
      error: "cancelled by operator",
      cancelledAt: "2026-11-30T10:00:03.000Z",
      finishedAt: "2026-11-30T10:00:03.000Z",
    },
  },
];

Deno.test({
  name:
    "migration 004: jobs in every state, nodes and edges of the old table each land in their part, ids kept",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withTestDatabase(async ({ backend }) => {
      const all = await loadMigrations();
      await migrate(backend, all.filter((m) => m.version < 4));
      for (const { id, props } of OLD_JOBS) {
        await bfDb.query(
          `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
           VALUES ($1, 'org_old', 'person_old', 'BfJob', $2::text::jsonb, 1)`,
          [
            id,
            JSON.stringify({
              type: "old.type",
              payload: { from: id },
              maxAttempts: 3,
              priority: 2,
              runAt: "2026-11-30T09:00:00.000Z",
              errors: [],
              ...props,
            }),
          ],
        );
      }
      await bfDb.query(
        `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value) VALUES
           ('node-1', 'org_old', 'p', 'BfRecord', '{"recordType": "song", "data": {}}', 1),
           ('node-2', 'org_old', 'p', 'BfRecord', '{"recordType": "song", "data": {}}', 2)`,
      );
      await bfDb.query(
        `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, bf_sid, bf_tid, bf_s_class_name,
                           bf_t_class_name, class_name, props, sort_value) VALUES
           ('edge-1', 'org_old', 'p', 'node-1', 'job-completed', 'BfRecord', 'BfJob', 'BfEdge',
            '{"role": "made"}', 3)`,
      );

      assert.deepEqual(
        await migrate(backend),
        all.map((m) => m.version).filter((v) => v >= 4),
      );

      const place = async (id: string) => {
        const [row] = await bfDb.query<{ part: string }>(
          `SELECT 'active' AS part FROM bfdb_jobs_active WHERE bf_gid = $1
           UNION ALL SELECT 'completed' FROM bfdb_jobs_completed WHERE bf_gid = $1
           UNION ALL SELECT 'failed' FROM bfdb_jobs_failed WHERE bf_gid = $1
           UNION ALL SELECT 'nodes' FROM bfdb_nodes WHERE bf_gid = $1`,
          [id],
        );
        return row?.part;
      };
      assert.equal(await place("job-available"), "active");
      assert.equal(await place("job-claimed"), "active");
      assert.equal(await place("job-running"), "active");
      assert.equal(await place("job-completed"), "completed");
      assert.equal(await place("job-failed"), "failed");
      assert.equal(await place("job-cancelled"), "failed");
      for (const id of ["node-1", "node-2", "edge-1"]) {
        assert.equal(await place(id), "nodes");
      }
      assert.deepEqual(await statusCounts(), {
        available: 1,
        claimed: 1,
        running: 1,
        completed: 1,
        failed: 1,
        cancelled: 1,
      });
      // Every prop made it across, as bfdb shows it.
      const running = await BfJob.get("job-running");
      assert.deepEqual(running?.props, {
        type: "old.type",
        payload: { from: "job-running" },
        status: "running",
        attempts: 2,
        maxAttempts: 3,
        priority: 2,
        queue: "default",
        runAt: "2026-11-30T09:00:00.000Z",
        workerId: "w-old",
        lockedUntil: "2000-01-01T00:00:00.000Z",
        startedAt: "2026-11-30T10:00:00.000Z",
        errors: [],
      });
      assert.equal(running?.metadata.bfOid, "org_old");
      assert.deepEqual((await BfJob.get("job-failed"))?.props.errors, [
        {
          attempt: 3,
          error: "boom",
          at: "2026-11-30T10:00:02.000Z",
          permanent: false,
        },
      ]);
      // The edge still reaches its job.
      const [edge] = await bfDb.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM bfdb e JOIN bfdb j ON j.bf_gid = e.bf_tid
         WHERE e.bf_gid = 'edge-1' AND j.class_name = 'BfJob'`,
      );
      assert.equal(Number(edge.n), 1);
      // The queue picks up where the old one stopped: the expired leases are reaped, and a
      // waiting job is claimed.
      assert.equal((await BfJob.claimNext("w-new"))?.id, "job-available");
      const reaped = await BfJob.reapExpired();
      assert.deepEqual(reaped.map((r) => r.id).sort(), [
        "job-claimed",
        "job-running",
      ]);
    }, { migrate: false }),
});
