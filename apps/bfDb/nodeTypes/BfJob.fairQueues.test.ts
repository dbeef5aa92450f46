// Fair share between orgs (issue 14): a queue with fairByOrg on is claimed in turns between the
// orgs that have jobs waiting in it, priority first; off, claim order is priority then age.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { listQueueSettings, setQueueSettings } from "../jobs/queueSettings.ts";
import { migrate } from "../migrate.ts";
import { PgliteBackend } from "../storage/PgliteBackend.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfJob } from "./BfJob.ts";

async function enqueue(
  org: string,
  n: number,
  options: { queue?: string; priority?: number } = {},
): Promise<void> {
  await BfJob.createMany(
    Array.from({ length: n }, (_, i) => ({
      type: "t",
      payload: { i },
      queue: options.queue ?? "shared",
      priority: options.priority ?? 0,
    })),
    CurrentViewer.forOrg(org),
  );
}

async function claimOrgs(limit: number, fair = true): Promise<string[]> {
  const claim = await BfJob.claimManaged("w", "shared", ["t"], { limit, fair });
  return claim.jobs.map((job) => job.cv.orgId);
}

function countsOf(orgs: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const org of orgs) counts[org] = (counts[org] ?? 0) + 1;
  return counts;
}

async function fairIndexExists(queue: string): Promise<boolean> {
  const [{ found }] = await bfDb.query<{ found: boolean }>(
    "SELECT to_regclass(bfdb_job_fair_index_name($1)) IS NOT NULL AS found",
    [queue],
  );
  return found;
}

dbTest(
  "fair claims: orgs take equal shares; an org with fewer due gives its share to the others",
  async () => {
    await enqueue("org_a", 50);
    await enqueue("org_b", 2);
    await enqueue("org_c", 10);
    await setQueueSettings("shared", { fairByOrg: true });
    assert.deepEqual(
      countsOf(await claimOrgs(12)),
      { org_a: 5, org_b: 2, org_c: 5 },
      "b has only 2; its share is split between a and c",
    );
    assert.deepEqual(
      countsOf(await claimOrgs(12)),
      { org_a: 7, org_c: 5 },
      "c has 5 left; a takes the rest",
    );
    assert.deepEqual(countsOf(await claimOrgs(12)), { org_a: 12 });
    // Claim order interleaves the orgs, so a worker runs them in turns too.
    await enqueue("org_b", 3);
    const turns = await claimOrgs(4);
    assert.deepEqual(countsOf(turns), { org_a: 2, org_b: 2 });
    assert.notEqual(turns[0], turns[1]);
    assert.notEqual(turns[2], turns[3]);
  },
);

dbTest(
  "fair claims: with more orgs than a claim takes, each claim starts after the last org served",
  async () => {
    for (let i = 0; i < 10; i++) await enqueue(`org_${i}`, 3);
    await setQueueSettings("shared", { fairByOrg: true });
    const served: string[][] = [];
    for (let i = 0; i < 10; i++) served.push(await claimOrgs(3));
    const all = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"].map((n) =>
      `org_${n}`
    );
    assert.deepEqual(served[0], all.slice(0, 3));
    assert.deepEqual(served[1], all.slice(3, 6));
    assert.deepEqual(served[2], all.slice(6, 9));
    assert.deepEqual(
      served[3],
      ["org_9", "org_0", "org_1"],
      "wraps round to the start",
    );
    assert.deepEqual(
      countsOf(served.flat()),
      Object.fromEntries(all.map((org) => [org, 3])),
      "30 claimed, 3 of each org",
    );
    const [{ cursor }] = await bfDb.query<{ cursor: string }>(
      "SELECT fair_cursor AS cursor FROM bfdb_job_queues WHERE queue = 'shared'",
    );
    assert.ok(all.includes(cursor));
  },
);

dbTest(
  "fair claims keep priority first, skip jobs not yet due and types not asked for",
  async () => {
    await enqueue("org_a", 5);
    await enqueue("org_b", 5);
    await enqueue("org_c", 2, { priority: 10 });
    await BfJob.create(
      {
        type: "t",
        payload: {},
        queue: "shared",
        runAt: "2999-01-01T00:00:00Z",
      },
      CurrentViewer.forOrg("org_d"),
    );
    await BfJob.create(
      { type: "other", payload: {}, queue: "shared" },
      CurrentViewer.forOrg("org_e"),
    );
    await setQueueSettings("shared", { fairByOrg: true });
    const first = await BfJob.claimManaged("w", "shared", ["t"], {
      limit: 4,
      fair: true,
    });
    assert.deepEqual(
      first.jobs.map((j) => [j.cv.orgId, j.props.priority]),
      [["org_c", 10], ["org_c", 10], ["org_a", 0], ["org_b", 0]],
    );
    const rest = await claimOrgs(20);
    assert.deepEqual(countsOf(rest), { org_a: 4, org_b: 4 });
  },
);

dbTest(
  "fairness off: claim order is priority then age; the queue's index goes with the setting",
  async () => {
    await enqueue("org_a", 6);
    await enqueue("org_b", 2);
    await setQueueSettings("shared", { fairByOrg: true });
    assert.equal(await fairIndexExists("shared"), true);
    assert.equal(await fairIndexExists("other"), false);
    await setQueueSettings("shared", { fairByOrg: false });
    assert.equal(await fairIndexExists("shared"), false);
    assert.deepEqual(await listQueueSettings(), [], "no settings left, no row");
    await setQueueSettings("shared", { globalConcurrency: 100 });
    assert.deepEqual(
      await claimOrgs(8, false),
      ["org_a", "org_a", "org_a", "org_a", "org_a", "org_a", "org_b", "org_b"],
    );
    // Turning it on twice, or after an interrupted build left the index invalid, builds it once.
    await setQueueSettings("shared", { fairByOrg: true });
    await bfDb.query(
      `UPDATE pg_index SET indisvalid = false
       WHERE indexrelid = to_regclass(bfdb_job_fair_index_name('shared'))`,
    ).catch(() => {}); // needs superuser; the test server's user is one
    await setQueueSettings("shared", { fairByOrg: true });
    const [{ valid }] = await bfDb.query<{ valid: boolean }>(
      `SELECT indisvalid AS valid FROM pg_index
       WHERE indexrelid = to_regclass(bfdb_job_fair_index_name('shared'))`,
    );
    assert.equal(valid, true);
  },
);

dbTest(
  "a hostile queue name reaches the fair index's predicate quoted, and only that queue",
  async () => {
    const name = "q'); DROP TABLE bfdb_nodes; --";
    await enqueue("org_a", 2, { queue: name });
    await enqueue("org_a", 2, { queue: "plain" });
    await setQueueSettings(name, { fairByOrg: true });
    const [{ rows }] = await bfDb.query<{ rows: string }>(
      `SELECT pg_get_indexdef(to_regclass(bfdb_job_fair_index_name($1))) AS rows`,
      [name],
    );
    assert.match(rows, /queue = 'q''\); DROP TABLE bfdb_nodes; --'::text/);
    const claim = await BfJob.claimManaged("w", name, ["t"], {
      limit: 5,
      fair: true,
    });
    assert.equal(claim.jobs.length, 2);
    assert.ok(await bfDb.query("SELECT 1 FROM bfdb_nodes LIMIT 1"));
  },
);

Deno.test({
  name:
    "fair claims run the same on the embedded backend (index built in place)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const saved = bfDb.isReady ? bfDb.backend : undefined;
    const backend = await PgliteBackend.open();
    try {
      await migrate(backend);
      bfDb.use(backend);
      await enqueue("org_a", 6);
      await enqueue("org_b", 2);
      await setQueueSettings("shared", { fairByOrg: true });
      assert.equal(await fairIndexExists("shared"), true);
      assert.deepEqual(countsOf(await claimOrgs(4)), { org_a: 2, org_b: 2 });
      await setQueueSettings("shared", { fairByOrg: false });
      assert.equal(await fairIndexExists("shared"), false);
    } finally {
      if (saved) bfDb.use(saved);
      await backend.close();
    }
  },
});

dbTest(
  "a fair queue keeps its other limits: concurrency caps the turns, the rate window counts them",
  async () => {
    await enqueue("org_a", 10);
    await enqueue("org_b", 10);
    await setQueueSettings("shared", {
      fairByOrg: true,
      globalConcurrency: 4,
      rateLimit: { count: 6, periodMs: 60_000 },
    });
    const first = await BfJob.claimManaged("w", "shared", ["t"], {
      limit: 10,
      fair: true,
    });
    assert.deepEqual(countsOf(first.jobs.map((j) => j.cv.orgId)), {
      org_a: 2,
      org_b: 2,
    });
    assert.equal(first.heldBackBy, "concurrency");
    for (const job of first.jobs) assert.equal(await job.complete(), true);
    const second = await BfJob.claimManaged("w", "shared", ["t"], {
      limit: 10,
      fair: true,
    });
    assert.equal(second.jobs.length, 2, "6 starts in the window, 4 used");
    assert.equal(second.heldBackBy, "rate");
    assert.deepEqual(countsOf(second.jobs.map((j) => j.cv.orgId)), {
      org_a: 1,
      org_b: 1,
    });
  },
);
