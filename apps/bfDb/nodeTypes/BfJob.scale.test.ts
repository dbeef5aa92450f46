// Cheap at any size (issue 11): the claim reads only what it can take. Its buffers per job
// claimed, from EXPLAIN (ANALYZE, BUFFERS) of the statement exactly as claimJobs runs it (custom
// and generic plans), stay flat when 1,000,000 finished jobs, 1,000,000 other nodes and 200,000
// waiting jobs of a type and of a queue the worker does not serve join the database. Reap and
// heartbeat are planned on their indexes with no Seq Scan. Buffers are counted, not timed.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { claimJobsQuery } from "../jobs/claimJobs.ts";
import { HEARTBEAT_SQL } from "../jobs/heartbeatJobs.ts";
import { REAP_EXPIRED_SQL } from "../jobs/reapExpiredJobs.ts";
import { countJobs, TEST_CV } from "../testing/jobRows.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfJob } from "./BfJob.ts";

/** Rows added per case (BF_SCALE_ROWS shortens it for a quick look; the sizes by default). */
const FINISHED = Number(Deno.env.get("BF_SCALE_ROWS") ?? 1_000_000);
const NODES = FINISHED;
const UNSERVED = Math.round(FINISHED / 5);
const CLAIM = 100;

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

async function explain(
  options: string,
  text: string,
  params: readonly unknown[] = [],
): Promise<PlanNode> {
  const rows = await bfDb.query<{ "QUERY PLAN": unknown }>(
    `EXPLAIN (${options}, FORMAT JSON) ${text}`,
    params,
  );
  const raw = rows[0]["QUERY PLAN"];
  const plan = typeof raw === "string" ? JSON.parse(raw) : raw;
  return (plan as { Plan: PlanNode }[])[0].Plan;
}

/**
 * EXPLAIN of a prepared statement's generic plan (forced, as PostgreSQL switches to it after
 * five executions when it judges it cheaper), inside the caller's transaction.
 */
async function explainGeneric(
  options: string,
  text: string,
  types: readonly string[],
  params: readonly unknown[],
): Promise<PlanNode> {
  await bfDb.query("SET LOCAL plan_cache_mode = force_generic_plan");
  await bfDb.query(
    `PREPARE generic_under_test(${types.join(", ")}) AS ${text}`,
  );
  try {
    const placeholders = types.map(() => "%L").join(", ");
    const casts = types.map((type, i) => `$${i + 1}::${type}`).join(", ");
    const [{ execute }] = await bfDb.query<{ execute: string }>(
      `SELECT format('EXECUTE generic_under_test(${placeholders})', ${casts}) AS execute`,
      params,
    );
    return await explain(options, execute);
  } finally {
    await bfDb.query("DEALLOCATE generic_under_test");
  }
}

const CLAIM_TYPES = ["text", "text", "text", "int", "int", "int"];
const SERVED = { queue: "default", type: "email.send" };

/**
 * Buffers the claim of CLAIM jobs touches per job claimed, custom and generic plans, each in a
 * transaction rolled back so every case claims from the same queue.
 */
async function claimBuffersPerJob(): Promise<
  { custom: number; generic: number }
> {
  const query = claimJobsQuery("worker-scale", [SERVED], {
    limit: CLAIM,
    startCount: 10,
  })!;
  const perJob = (plan: PlanNode) => {
    const top = plan["Shared Hit Blocks"]! + plan["Shared Read Blocks"]!;
    const claimed = Number(plan["Actual Rows"]);
    assert.equal(claimed, CLAIM, "the claim took a full batch");
    return top / claimed;
  };
  const run = async (generic: boolean) => {
    try {
      return await bfDb.transaction(async () => {
        const plan = generic
          ? await explainGeneric(
            "ANALYZE, BUFFERS",
            query.text,
            CLAIM_TYPES,
            query.params,
          )
          : await explain("ANALYZE, BUFFERS", query.text, query.params);
        throw new Rollback(perJob(plan));
      });
    } catch (error) {
      if (error instanceof Rollback) return error.value;
      throw error;
    }
  };
  // Warm once, so each case counts the same (cached) catalog and index pages.
  await run(false);
  return { custom: await run(false), generic: await run(true) };
}

class Rollback extends Error {
  constructor(readonly value: number) {
    super("rolled back");
  }
}

async function analyze(): Promise<void> {
  await bfDb.query("ANALYZE bfdb_nodes");
  await bfDb.query("ANALYZE bfdb_jobs_active");
  await bfDb.query("ANALYZE bfdb_jobs_completed");
}

dbTest(
  "scale: the claim's buffers per job stay flat with finished jobs, other nodes and unserved waiting jobs",
  async () => {
    await BfJob.createMany(
      Array.from({ length: 2_000 }, (_, n) => ({
        type: SERVED.type,
        payload: { n },
      })),
      TEST_CV,
    );
    await analyze();
    const baseline = await claimBuffersPerJob();
    const bound = (b: number) => b * 1.5 + 1;
    const checks: [string, () => Promise<void>][] = [
      [`${FINISHED} completed jobs`, async () => {
        await bfDb.query(
          `INSERT INTO bfdb_jobs_completed (bf_gid, bf_oid, bf_cid, type, status, attempts,
             worker_id, started_at, finished_at, payload, sort_value)
           SELECT gen_random_uuid()::text, 'org_' || (g % 50), 'person_' || (g % 500),
                  (ARRAY['email.send', 'report.build'])[1 + g % 2], 'completed', 1,
                  'worker-' || (g % 16), now(), now(), jsonb_build_object('n', g), g
           FROM generate_series(1, $1::int) g`,
          [FINISHED],
        );
      }],
      [`${NODES} other nodes`, async () => {
        await bfDb.query(
          `INSERT INTO bfdb_nodes (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
           SELECT gen_random_uuid()::text, 'org_' || (g % 50), 'p', 'BfCollectedItem',
                  jsonb_build_object('status', 'available', 'type', 'email.send', 'n', g), g
           FROM generate_series(1, $1::int) g`,
          [NODES],
        );
      }],
      [
        `${UNSERVED} waiting jobs of an unserved type and as many in an unserved queue`,
        async () => {
          await bfDb.query(
            `INSERT INTO bfdb_jobs_active (bf_gid, bf_oid, bf_cid, type, queue, status, run_at,
             payload, sort_value)
           SELECT gen_random_uuid()::text, 'org', 'p',
                  CASE WHEN g % 2 = 0 THEN 'track_usage' ELSE 'email.send' END,
                  CASE WHEN g % 2 = 0 THEN 'default' ELSE 'elsewhere' END,
                  'available', now() - interval '1 hour', jsonb_build_object('n', g), g
           FROM generate_series(1, $1::int) g`,
            [2 * UNSERVED],
          );
        },
      ],
    ];
    for (const [label, add] of checks) {
      await add();
      await analyze();
      const now = await claimBuffersPerJob();
      for (const plan of ["custom", "generic"] as const) {
        assert.ok(
          now[plan] <= bound(baseline[plan]),
          `${label}: ${
            now[plan].toFixed(2)
          } buffers per job claimed (${plan} plan), ` +
            `${baseline[plan].toFixed(2)} on an empty database`,
        );
      }
    }
    assert.equal(await countJobs("completed"), FINISHED);
  },
);

dbTest(
  "scale: claim, reap and heartbeat are planned on their indexes, never a Seq Scan",
  async () => {
    await bfDb.query(
      `INSERT INTO bfdb_jobs_active (bf_gid, bf_oid, bf_cid, type, status, worker_id, locked_until,
       payload, sort_value)
     SELECT gen_random_uuid()::text, 'org', 'p', 'email.send',
            (ARRAY['available', 'running'])[1 + g % 2],
            CASE WHEN g % 2 = 1 THEN 'worker-' || (g % 16) END,
            CASE WHEN g % 2 = 1 THEN now() + interval '1 minute' END,
            '{}'::jsonb, g
     FROM generate_series(1, 100000) g`,
    );
    await analyze();
    const claimOne = claimJobsQuery("w", [SERVED], { limit: 50 })!;
    const claimTwo = claimJobsQuery("w", [SERVED, {
      queue: "default",
      type: "sms",
    }], {
      limit: 50,
    })!;
    const plans: [string, PlanNode, string[]][] = [
      [
        "claim, one kind",
        await explain("COSTS OFF", claimOne.text, claimOne.params),
        [
          "bfdb_jobs_available",
        ],
      ],
      [
        "claim, two kinds",
        await explain("COSTS OFF", claimTwo.text, claimTwo.params),
        [
          "bfdb_jobs_available",
        ],
      ],
      ["reap", await explain("COSTS OFF", REAP_EXPIRED_SQL, [1000, null]), [
        "bfdb_jobs_in_flight",
      ]],
      [
        "heartbeat",
        await explain("COSTS OFF", HEARTBEAT_SQL, ["worker-3", 30_000, [
          "a",
          "b",
        ]]),
        [
          "bfdb_jobs_active_pkey",
          "bfdb_jobs_in_flight",
        ],
      ],
    ];
    for (const [label, plan, indexes] of plans) {
      const nodes = planNodes(plan);
      const seq = nodes.filter((n) =>
        n["Node Type"] === "Seq Scan" && n["Relation Name"]
      );
      assert.deepEqual(
        seq.map((n) => n["Relation Name"]),
        [],
        `${label}: no Seq Scan`,
      );
      const used = nodes.map((n) => n["Index Name"]).filter(
        Boolean,
      ) as string[];
      assert.ok(
        used.some((i) => indexes.includes(i)),
        `${label} uses ${indexes}: ${used}`,
      );
    }
  },
);
