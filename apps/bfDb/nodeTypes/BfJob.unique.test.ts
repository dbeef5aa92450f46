// Unique jobs (issue 13): per org, type and key, in scope waiting, active or period, skip or
// replace; enforced by the database, so racing producer processes create one job.
import assert from "node:assert/strict";
import { JsonLineProcess } from "@bfmono/packages/childProcess/jsonLineProcess.ts";
import { bfDb } from "../bfDb.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { BfValidationError } from "../errors.ts";
import { dbTest } from "../testing/testDatabase.ts";
import {
  countJobs,
  jobRow,
  statusCounts,
  TEST_CV,
} from "../testing/jobRows.ts";
import { BfJob, type BfJobInput } from "./BfJob.ts";

const YEAR_MS = 366 * 86_400_000;
const CREATOR = new URL("./testdata/uniqueCreator.ts", import.meta.url);

/** Rows of `type`, any status, as (status, payload) pairs. */
async function jobsOfType(
  type: string,
): Promise<{ id: string; status: string; payload: Record<string, unknown> }[]> {
  return await bfDb.query(
    `SELECT bf_gid AS id, status, payload FROM bfdb_jobs WHERE type = $1 ORDER BY created_at`,
    [type],
  );
}

dbTest(
  "unique: bad options are errors naming the field, and write nothing",
  async () => {
    const cases: [unknown, string][] = [
      [{ key: "" }, "BfJob.unique.key"],
      [{ key: "k".repeat(513) }, "BfJob.unique.key"],
      [{ key: 7 }, "BfJob.unique.key"],
      [{ key: "a\u0000b" }, "BfJob.unique.key"],
      [{ key: "k", scope: "forever" }, "BfJob.unique.scope"],
      [
        { key: "k", scope: "active", onConflict: "replace" },
        "BfJob.unique.onConflict",
      ],
      [
        { key: "k", scope: "period", onConflict: "replace", periodMs: 10 },
        "BfJob.unique.onConflict",
      ],
      [{ key: "k", onConflict: "merge" }, "BfJob.unique.onConflict"],
      [{ key: "k", scope: "period" }, "BfJob.unique.periodMs"],
      [{ key: "k", scope: "period", periodMs: 0 }, "BfJob.unique.periodMs"],
      [{ key: "k", scope: "period", periodMs: 1.5 }, "BfJob.unique.periodMs"],
      [
        { key: "k", scope: "period", periodMs: "60000" },
        "BfJob.unique.periodMs",
      ],
      [{ key: "k", periodMs: 1000 }, "BfJob.unique.periodMs"],
      [{ key: "k", ttl: 5 }, "BfJob.unique.ttl"],
      ["k", "BfJob.unique"],
      [null, "BfJob.unique"],
    ];
    for (const [unique, field] of cases) {
      await assert.rejects(
        BfJob.create(
          { type: "t", payload: {}, unique } as unknown as BfJobInput,
          TEST_CV,
        ),
        (error: Error) =>
          error instanceof BfValidationError &&
          error.message.startsWith(`${field}:`),
        JSON.stringify(unique),
      );
    }
    // In a batch, one bad input writes none of the others.
    await assert.rejects(
      BfJob.createMany([
        { type: "t", payload: {} },
        { type: "t", payload: {}, unique: { key: "ok" } },
        { type: "t", payload: {}, unique: { key: "" } },
      ], TEST_CV),
      BfValidationError,
    );
    assert.equal(await countJobs(), 0);
    const longest = await BfJob.create(
      { type: "t", payload: {}, unique: { key: "k".repeat(512) } },
      TEST_CV,
    );
    assert.equal(longest.deduplicated, false);
  },
);

dbTest(
  "unique waiting: one waiting job per key; a claimed twin does not block a new one",
  async () => {
    const first = await BfJob.create(
      { type: "sync", payload: { v: 1 }, unique: { key: "user:1" } },
      TEST_CV,
    );
    assert.equal(first.deduplicated, false);
    assert.equal(first.replaced, false);
    assert.equal(first.props.uniqueKey, "user:1");
    assert.equal(first.props.uniqueScope, "waiting");
    const again = await BfJob.create(
      { type: "sync", payload: { v: 2 }, unique: { key: "user:1" } },
      TEST_CV,
    );
    assert.equal(again.id, first.id);
    assert.equal(again.deduplicated, true);
    assert.equal(again.replaced, false);
    assert.deepEqual(again.props.payload, { v: 1 }, "skip writes nothing");
    assert.deepEqual((await jobRow(first.id)).payload, { v: 1 });

    // Per org, per type, per key.
    const otherKey = await BfJob.create(
      { type: "sync", payload: {}, unique: { key: "user:2" } },
      TEST_CV,
    );
    const otherType = await BfJob.create(
      { type: "sync2", payload: {}, unique: { key: "user:1" } },
      TEST_CV,
    );
    const otherOrg = await BfJob.create(
      { type: "sync", payload: {}, unique: { key: "user:1" } },
      CurrentViewer.forOrg("org_other"),
    );
    for (const job of [otherKey, otherType, otherOrg]) {
      assert.equal(job.deduplicated, false);
    }

    // The twin is running now: an event after its start is kept as a new waiting job.
    const running =
      (await BfJob.claimNext("w", { types: ["sync"], start: true }))!;
    assert.ok([first.id, otherKey.id].includes(running.id));
    const runningKey = running.props.uniqueKey;
    const during = await BfJob.create(
      { type: "sync", payload: { v: 3 }, unique: { key: runningKey! } },
      TEST_CV,
    );
    assert.equal(during.deduplicated, false);
    assert.notEqual(during.id, running.id);

    // The running twin fails and retries: both wait, and nothing collides.
    assert.equal(
      await running.fail(new Error("flaky"), { retryDelayMs: 0 }),
      "available",
    );
    const twins = (await jobsOfType("sync")).filter((j) =>
      j.status === "available"
    );
    // user:1, user:2, the other org's user:1, and the one created while the twin ran.
    assert.equal(twins.length, 4);
    // The retried one no longer holds the key; the new one does.
    const next = await BfJob.create(
      { type: "sync", payload: { v: 4 }, unique: { key: runningKey! } },
      TEST_CV,
    );
    assert.equal(next.id, during.id);
    assert.equal(next.deduplicated, true);
  },
);

dbTest(
  "unique waiting + replace: a debounce of the waiting twin; a running twin is never modified",
  async () => {
    const first = await BfJob.create({
      type: "digest",
      payload: { v: 1 },
      runAt: "2030-01-01T00:00:00.000Z",
      priority: 1,
      unique: { key: "d", onConflict: "replace" },
    }, TEST_CV);
    const second = await BfJob.create({
      type: "digest",
      payload: { v: 2 },
      runAt: "2031-01-01T00:00:00.000Z",
      priority: 5,
      unique: { key: "d", onConflict: "replace" },
    }, TEST_CV);
    assert.equal(second.id, first.id);
    assert.equal(second.deduplicated, true);
    assert.equal(second.replaced, true);
    const row = await jobRow(first.id);
    assert.deepEqual(row.payload, { v: 2 });
    assert.equal(row.runAt, "2031-01-01T00:00:00.000Z");
    assert.equal(row.priority, 5);
    assert.equal(second.props.runAt, "2031-01-01T00:00:00.000Z");
    assert.equal(await countJobs(), 1);

    // Due now, claimed: a replace makes a new job and leaves the running one alone.
    await BfJob.create({
      type: "digest",
      payload: { v: 3 },
      unique: { key: "d", onConflict: "replace" },
    }, TEST_CV);
    const held = (await BfJob.claimNext("w", { types: ["digest"] }))!;
    assert.equal(held.id, first.id);
    const later = await BfJob.create({
      type: "digest",
      payload: { v: 4 },
      unique: { key: "d", onConflict: "replace" },
    }, TEST_CV);
    assert.equal(later.deduplicated, false);
    assert.deepEqual((await jobRow(first.id)).payload, { v: 3 });
    assert.equal((await jobRow(first.id)).status, "claimed");
  },
);

dbTest(
  "unique active: one job per key waiting or in flight; a finished twin frees the key",
  async () => {
    const unique = { key: "import:9", scope: "active" as const };
    const first = await BfJob.create(
      { type: "imp", payload: {}, unique },
      TEST_CV,
    );
    const held = (await BfJob.claimNext("w", { types: ["imp"], start: true }))!;
    assert.equal(held.id, first.id);
    const during = await BfJob.create({
      type: "imp",
      payload: { n: 2 },
      unique,
    }, TEST_CV);
    assert.equal(during.deduplicated, true, "skipped while its twin runs");
    assert.equal(during.id, first.id);
    assert.equal(during.props.status, "running");
    // A retry keeps the key (it is still the one job in flight).
    assert.equal(
      await held.fail(new Error("x"), { retryDelayMs: 0 }),
      "available",
    );
    assert.equal(
      (await BfJob.create({ type: "imp", payload: {}, unique }, TEST_CV)).id,
      first.id,
    );
    const again = (await BfJob.claimNext("w", { types: ["imp"] }))!;
    assert.equal(await again.complete(), true);
    const after = await BfJob.create(
      { type: "imp", payload: { n: 3 }, unique },
      TEST_CV,
    );
    assert.equal(after.deduplicated, false);
    assert.notEqual(after.id, first.id);
    // An operator retry of a failed twin leaves it failed while the key is taken.
    const failedOne = (await BfJob.claimNext("w", { types: ["imp"] }))!;
    assert.equal(
      await failedOne.fail(new Error("bad"), { permanent: true }),
      "failed",
    );
    const holder = await BfJob.create({
      type: "imp",
      payload: { n: 4 },
      unique,
    }, TEST_CV);
    assert.equal(holder.deduplicated, false);
    assert.equal(await BfJob.retryFailed(failedOne.id), false);
    assert.equal((await jobRow(failedOne.id)).status, "failed");
  },
);

dbTest(
  "unique period: one job per key per window, finished or not; windows align to the epoch",
  async () => {
    const hour = 3_600_000;
    const unique = { key: "report", scope: "period" as const, periodMs: hour };
    const first = await BfJob.create(
      { type: "rep", payload: {}, unique },
      TEST_CV,
    );
    assert.equal(first.deduplicated, false);
    const start = Date.parse(
      (first.props as Record<string, unknown>).periodStart as string,
    );
    assert.equal(start % hour, 0, "aligned to the epoch");
    const held = (await BfJob.claimNext("w", { types: ["rep"] }))!;
    assert.equal(await held.complete(), true);
    const throttled = await BfJob.create(
      { type: "rep", payload: {}, unique },
      TEST_CV,
    );
    assert.equal(throttled.deduplicated, true);
    assert.equal(throttled.id, first.id);
    assert.equal(throttled.props.status, "completed");
    assert.equal(await countJobs(), 1);

    // Another window: a job again (1 ms windows, so the next create is in a later one).
    const tiny = { key: "tick", scope: "period" as const, periodMs: 1 };
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      ids.add(
        (await BfJob.create(
          { type: "tick", payload: {}, unique: tiny },
          TEST_CV,
        )).id,
      );
    }
    assert.ok(ids.size >= 2, "later windows get their own job");

    // The key of an ended window is forgotten by the pruner's sweep.
    const { pruneExpiredJobKeys } = await import("../jobs/uniqueJobs.ts");
    assert.ok(await pruneExpiredJobKeys() >= 1);
  },
);

dbTest(
  "createMany with unique inputs: one outcome per input, in input order",
  async () => {
    const jobs = await BfJob.createMany([
      { type: "m", payload: { i: 0 }, unique: { key: "a" } },
      { type: "m", payload: { i: 1 } },
      { type: "m", payload: { i: 2 }, unique: { key: "a" } },
      { type: "m", payload: { i: 3 }, unique: { key: "b", scope: "active" } },
      {
        type: "m",
        payload: { i: 4 },
        unique: { key: "a", onConflict: "replace" },
      },
    ], TEST_CV);
    assert.deepEqual(jobs.map((j) => j.deduplicated), [
      false,
      false,
      true,
      false,
      true,
    ]);
    assert.deepEqual(jobs.map((j) => j.replaced), [
      false,
      false,
      false,
      false,
      true,
    ]);
    assert.equal(jobs[2].id, jobs[0].id);
    assert.equal(jobs[4].id, jobs[0].id);
    assert.deepEqual(jobs[1].props.payload, { i: 1 });
    assert.deepEqual((await jobRow(jobs[0].id)).payload, { i: 4 });
    assert.deepEqual(await statusCounts(), { available: 3 });
  },
);

/** Starts `n` producer processes on their own connections, fires them at once, returns their reports. */
async function race(
  url: string,
  n: number,
  count: number,
  type: string,
  unique: Record<string, unknown>,
): Promise<
  { fresh: number; deduplicated: number; replaced: number; ids: string[] }[]
> {
  const children = Array.from({ length: n }, (_, i) =>
    JsonLineProcess.spawn({
      command: Deno.execPath(),
      args: [
        "run",
        "-A",
        CREATOR.pathname,
        url,
        `writer-${i}`,
        String(count),
        type,
        JSON.stringify(unique),
      ],
      stdin: "piped",
      label: `creator-${i}`,
    }));
  try {
    const pids = new Set<number>();
    for (const child of children) {
      const ready = await child.waitForLine((line) => line.ready === true, {
        timeoutMs: 60_000,
      });
      pids.add(ready.pid as number);
    }
    assert.equal(pids.size, n, "one connection each");
    await Promise.all(children.map((child) => child.send("go")));
    const reports = [];
    for (const child of children) {
      const done = await child.waitForLine((line) => line.done === true, {
        timeoutMs: 120_000,
      });
      reports.push(
        done as unknown as {
          fresh: number;
          deduplicated: number;
          replaced: number;
          ids: string[];
        },
      );
    }
    return reports;
  } finally {
    for (const child of children) await child.terminate(5_000);
  }
}

dbTest(
  "unique under races: 8 processes creating one key 200 times each leave one job per scope",
  async ({ url }) => {
    for (
      const [type, unique] of [
        ["race_waiting", { key: "k" }],
        ["race_active", { key: "k", scope: "active" }],
        ["race_period", { key: "k", scope: "period", periodMs: YEAR_MS }],
      ] as const
    ) {
      const reports = await race(url, 8, 200, type, unique);
      const rows = await jobsOfType(type);
      assert.equal(rows.length, 1, `${type}: exactly one row`);
      assert.equal(
        reports.reduce((n, r) => n + r.fresh, 0),
        1,
        `${type}: one fresh create`,
      );
      assert.equal(
        reports.reduce((n, r) => n + r.deduplicated, 0),
        8 * 200 - 1,
      );
      assert.deepEqual(
        new Set(reports.flatMap((r) => r.ids)),
        new Set([rows[0].id]),
      );
    }
    // The key is kept until its window ends (windows of a year, so the race stays in one).
    const [key] = await bfDb.query<{ expires_at: Date }>(
      "SELECT expires_at FROM bfdb_job_keys WHERE expires_at IS NOT NULL",
    );
    assert.equal(new Date(key.expires_at).getTime() % YEAR_MS, 0);

    // A replace storm: one job, carrying a last write (every writer's last is n = 199).
    const reports = await race(url, 8, 200, "race_replace", {
      key: "k",
      onConflict: "replace",
    });
    const rows = await jobsOfType("race_replace");
    assert.equal(rows.length, 1);
    assert.equal(rows[0].payload.n, 199);
    assert.equal(reports.reduce((n, r) => n + r.fresh, 0), 1);
    assert.equal(reports.reduce((n, r) => n + r.replaced, 0), 8 * 200 - 1);
    const last = await BfJob.create(
      {
        type: "race_replace",
        payload: { final: true },
        unique: { key: "k", onConflict: "replace" },
      },
      TEST_CV,
    );
    assert.equal(last.id, rows[0].id);
    assert.deepEqual((await jobRow(rows[0].id)).payload, { final: true });
  },
);
