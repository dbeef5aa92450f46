// Cheap at any size: with 100,000 completed jobs and 100,000 nodes of another class in the
// same table, the claim statement (exactly as claimJobs runs it) is planned on the
// bfdb_jobs_available partial index with no Seq Scan anywhere, in custom and in generic plans;
// reap and heartbeat likewise on bfdb_jobs_in_flight. No timings are measured.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { claimJobsQuery } from "../jobs/claimJobs.ts";
import { HEARTBEAT_SQL } from "../jobs/heartbeatJobs.ts";
import { REAP_EXPIRED_SQL } from "../jobs/reapExpiredJobs.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfJob } from "./BfJob.ts";
import { countJobs, TEST_CV } from "../testing/jobRows.ts";

const COMPLETED_JOBS = 100_000;
const OTHER_NODES = 100_000;

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

/** Every node of a plan tree, depth first. */
function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** The plan of `EXPLAIN (FORMAT JSON) <sql>`, with the statement's own bound parameters. */
async function explain(
  text: string,
  params: readonly unknown[] = [],
): Promise<PlanNode> {
  const rows = await bfDb.query<{ "QUERY PLAN": unknown }>(
    `EXPLAIN (FORMAT JSON) ${text}`,
    params,
  );
  const raw = rows[0]["QUERY PLAN"];
  const plan = typeof raw === "string" ? JSON.parse(raw) : raw;
  return (plan as { Plan: PlanNode }[])[0].Plan;
}

/** Fills the table like production: completed jobs and another class, one INSERT … SELECT each. */
async function fillTable(): Promise<void> {
  // Completed jobs shaped like BfJob rows that ran: all the props a real one carries.
  await bfDb.query(
    `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value, created_at, last_updated)
     SELECT gen_random_uuid()::text, 'org_' || (g % 50), 'person_' || (g % 500), 'BfJob',
            jsonb_build_object(
              'type', (ARRAY['email.send', 'report.build', 'webhook.deliver'])[1 + g % 3],
              'payload', jsonb_build_object('to', 'user' || g || '@example.com', 'n', g),
              'status', 'completed',
              'attempts', 1 + (g % 2),
              'maxAttempts', 3,
              'priority', g % 5,
              'runAt', bfdb_iso(t),
              'startedAt', bfdb_iso(t + interval '1 second'),
              'finishedAt', bfdb_iso(t + interval '2 seconds'),
              'workerId', 'worker-' || (g % 16),
              'errors', CASE WHEN g % 2 = 0 THEN '[]'::jsonb ELSE jsonb_build_array(
                jsonb_build_object('attempt', 1, 'error', 'timeout', 'at', bfdb_iso(t),
                                   'permanent', false)) END),
            (extract(epoch FROM t) * 1000)::bigint, t, t + interval '2 seconds'
     FROM generate_series(1, $1::int) g,
          LATERAL (SELECT now() - (($1::int - g) || ' seconds')::interval AS t) times`,
    [COMPLETED_JOBS],
  );
  // Another class whose props even look like jobs (status, runAt, priority): the partial
  // index's class_name predicate must keep them out.
  await bfDb.query(
    `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
     SELECT gen_random_uuid()::text, 'org_' || (g % 50), 'person_' || (g % 500), 'BfCollectedItem',
            jsonb_build_object(
              'title', 'item ' || g, 'url', 'https://example.com/items/' || g,
              'status', (ARRAY['available', 'archived'])[1 + g % 2],
              'priority', g % 7, 'runAt', bfdb_iso(now() - interval '1 day'),
              'tags', jsonb_build_array('a', 'b')),
            g
     FROM generate_series(1, $1::int) g`,
    [OTHER_NODES],
  );
}

/**
 * The plan PostgreSQL uses for a prepared statement once it switches to a generic plan (after
 * five executions, when it judges that cheaper): forced here, so the test does not depend on
 * that judgement. `types` are the statement's parameter types.
 */
async function explainGeneric(
  text: string,
  types: readonly string[],
  params: readonly unknown[],
): Promise<PlanNode> {
  return await bfDb.transaction(async () => {
    await bfDb.query("SET LOCAL plan_cache_mode = force_generic_plan");
    await bfDb.query(
      `PREPARE generic_under_test(${types.join(", ")}) AS ${text}`,
    );
    try {
      // EXECUTE's arguments cannot be protocol parameters under EXPLAIN, so the server quotes
      // the same values into the EXECUTE text with format(%L).
      const placeholders = types.map(() => "%L").join(", ");
      const casts = types.map((type, i) => `$${i + 1}::${type}`).join(", ");
      const [{ execute }] = await bfDb.query<{ execute: string }>(
        `SELECT format('EXECUTE generic_under_test(${placeholders})', ${casts}) AS execute`,
        params,
      );
      return await explain(execute);
    } finally {
      await bfDb.query("DEALLOCATE generic_under_test");
    }
  });
}

/** Asserts a plan reads `index` and never scans the table sequentially. */
function assertServedBy(
  plan: PlanNode,
  index: string | readonly string[],
  label: string,
): void {
  const indexes = typeof index === "string" ? [index] : index;
  const nodes = planNodes(plan);
  const summary = nodes.map((n) =>
    `${n["Node Type"]}${n["Index Name"] ? ` on ${n["Index Name"]}` : ""}`
  ).join(" > ");
  assert.ok(
    nodes.some((n) => indexes.includes(String(n["Index Name"]))),
    `${label}: uses ${indexes.join(" or ")} (${summary})`,
  );
  assert.ok(
    !nodes.some((n) => n["Node Type"] === "Seq Scan"),
    `${label}: no Seq Scan (${summary})`,
  );
}

const CLAIM_PARAM_TYPES = ["text[]", "int", "text", "int", "int"];

dbTest(
  "scale: claim, reap and heartbeat use the partial indexes and no Seq Scan at 200,000 rows",
  async () => {
    await fillTable();
    const available = await BfJob.createMany([
      { type: "email.send", payload: { n: 1 }, priority: 1 },
      { type: "report.build", payload: { n: 2 }, priority: 5 },
      { type: "email.send", payload: { n: 3 } },
      {
        type: "webhook.deliver",
        payload: { n: 4 },
        runAt: "2999-01-01T00:00:00Z",
      },
      { type: "email.send", payload: { n: 5 }, priority: 5 },
    ], TEST_CV);
    await bfDb.query("ANALYZE bfdb");
    assert.equal(await countJobs("completed"), COMPLETED_JOBS);
    const [{ others }] = await bfDb.query<{ others: number }>(
      "SELECT count(*)::int AS others FROM bfdb WHERE class_name <> 'BfJob'",
    );
    assert.equal(Number(others), OTHER_NODES);

    const cases = [
      { label: "memo form", options: {} },
      { label: "batch of 50", options: { limit: 50 } },
      {
        label: "types filter",
        options: { types: ["email.send", "sms"], limit: 10 },
      },
      { label: "claim and start", options: { limit: 100, start: true } },
    ];
    for (const { label, options } of cases) {
      const query = claimJobsQuery("worker-explain", options);
      assert.ok(query);
      assertServedBy(
        await explain(query.text, query.params),
        "bfdb_jobs_available",
        `claim, ${label}`,
      );
      assertServedBy(
        await explainGeneric(query.text, CLAIM_PARAM_TYPES, query.params),
        "bfdb_jobs_available",
        `claim, ${label}, generic plan`,
      );
    }
    const leasePlans: [string, PlanNode][] = [
      ["reap", await explain(REAP_EXPIRED_SQL, [1000, null])],
      [
        "reap, generic plan",
        await explainGeneric(REAP_EXPIRED_SQL, ["int", "text[]"], [
          1000,
          "{a,b}",
        ]),
      ],
      [
        "heartbeat, all held",
        await explain(HEARTBEAT_SQL, ["worker-3", 30_000, null]),
      ],
      [
        "heartbeat",
        await explain(HEARTBEAT_SQL, ["worker-3", 30_000, ["a", "b"]]),
      ],
      [
        "heartbeat, generic plan",
        await explainGeneric(HEARTBEAT_SQL, ["text", "int", "text[]"], [
          "worker-3",
          30_000,
          "{a,b}",
        ]),
      ],
    ];
    for (const [label, plan] of leasePlans) {
      // A heartbeat naming its ids may look them up by primary key instead: as cheap, and flat.
      assertServedBy(plan, ["bfdb_jobs_in_flight", "bfdb_pkey"], label);
    }

    // And it claims the right jobs: runnable ones only, priority then age.
    const claimed = await BfJob.claimBatch("worker-1", { limit: 10 });
    assert.deepEqual(
      new Set(claimed.map((job) => (job.props.payload as { n: number }).n)),
      new Set([1, 2, 3, 5]),
    );
    assert.equal(await countJobs("available"), 1);
    assert.equal(
      (await BfJob.get(available[3].id))?.props.status,
      "available",
      "the future job waits",
    );
    assert.deepEqual(
      new Set(await BfJob.heartbeat("worker-1", 60_000)),
      new Set(claimed.map((job) => job.id)),
    );
    assert.deepEqual(await BfJob.reapExpired(), []);
    assert.equal(await countJobs("completed"), COMPLETED_JOBS);
  },
);
