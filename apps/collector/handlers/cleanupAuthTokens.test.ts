import assert from "node:assert/strict";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfEdge } from "@bfmono/apps/bfDb/classes/BfEdge.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfValidationError } from "@bfmono/apps/bfDb/errors.ts";
import { BfAuthToken } from "@bfmono/apps/bfDb/nodeTypes/BfAuthToken.ts";
import { BfRecord } from "@bfmono/apps/bfDb/nodeTypes/BfRecord.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { PayloadValidationError } from "../worker/standardSchema.ts";
import { cleanupAuthTokensHandler } from "./cleanupAuthTokens.ts";
import { jobTest, performJob } from "../testing/jobTesting.ts";
import {
  createTestContext,
  runHandler,
  testViewer,
} from "../testing/testContext.ts";

const HOUR = 3_600_000;

function tokens(count: number, expiresAt: Date, tag: string) {
  return Array.from({ length: count }, (_, i) => ({
    tokenHash: `${tag}_${i}`,
    personId: `person_${i % 7}`,
    expiresAt,
  }));
}

async function countTokens(cv?: CurrentViewer): Promise<number> {
  const [{ n }] = await bfDb.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bfdb
     WHERE class_name = 'BfAuthToken' AND ($1::text IS NULL OR bf_oid = $1::text)`,
    [cv?.orgId ?? null],
  );
  return n;
}

dbTest(
  "cleanup_auth_tokens deletes 2,500 expired tokens of every org in batches and keeps the rest",
  async () => {
    const orgs = [
      testViewer("org_a"),
      testViewer("org_b"),
      testViewer("org_c"),
    ];
    const past = new Date(Date.now() - HOUR);
    const future = new Date(Date.now() + HOUR);
    const expiredPerOrg = [1000, 900, 600]; // 2,500 in all
    for (const [i, cv] of orgs.entries()) {
      await BfAuthToken.createMany(tokens(expiredPerOrg[i], past, "old"), cv);
      await BfAuthToken.createMany(tokens(10, future, "live"), cv);
    }
    // Another class with an expiresAt in the past is none of the cleanup's business.
    await bfDb.query(
      `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
     VALUES ('not-a-token', 'org_a', 'p', 'BfInvite', $1::text::jsonb, 0)`,
      [JSON.stringify({ expiresAt: past.toISOString() })],
    );

    const { ctx, logs } = await createTestContext({
      type: "cleanup_auth_tokens",
      payload: {},
    });
    await runHandler(cleanupAuthTokensHandler, {}, ctx);

    for (const cv of orgs) {
      assert.equal(
        await countTokens(cv),
        10,
        `only live tokens remain in ${cv.orgId}`,
      );
      const live = await BfAuthToken.query(cv);
      assert.ok(live.every((t) => t.props.tokenHash.startsWith("live_")));
    }
    const [{ n }] = await bfDb.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM bfdb WHERE bf_gid = 'not-a-token'",
    );
    assert.equal(n, 1);
    const done = logs.filter((l) => l.msg === "expired auth tokens deleted");
    assert.equal(done.length, 1);
    assert.equal(done[0].level, "info");
    assert.equal(done[0].deleted, 2500);
    assert.equal(done[0].batches, 3, "1000 + 1000 + 500");
    assert.equal(done[0].jobId, ctx.jobId);

    // Nothing left to do: a second run deletes nothing.
    await runHandler(cleanupAuthTokensHandler, {}, ctx);
    assert.equal(logs.at(-1)?.deleted, 0);
    assert.equal(await countTokens(), 30);
  },
);

dbTest("cleanup_auth_tokens honours batchSize from the payload", async () => {
  const cv = testViewer();
  await BfAuthToken.createMany(
    tokens(25, new Date(Date.now() - HOUR), "old"),
    cv,
  );
  const payload = { batchSize: 10, scheduledFor: "2025-01-01T00:00:00.000Z" };
  const { ctx, logs } = await createTestContext({
    type: "cleanup_auth_tokens",
    payload,
  });
  await runHandler(cleanupAuthTokensHandler, payload, ctx);
  const done = logs.find((l) => l.msg === "expired auth tokens deleted");
  assert.equal(done?.deleted, 25);
  assert.equal(done?.batches, 3);
  assert.equal(await countTokens(), 0);
});

dbTest(
  "cleanup_auth_tokens stops between batches when its signal fires",
  async () => {
    const cv = testViewer();
    await BfAuthToken.createMany(
      tokens(2500, new Date(Date.now() - HOUR), "old"),
      cv,
    );
    const { ctx, logs, controller } = await createTestContext({
      type: "cleanup_auth_tokens",
    });
    // Abort at the second check, i.e. after the first batch.
    let checks = 0;
    ctx.signal.throwIfAborted = () => {
      if (++checks === 2) controller.abort(new Error("shutting down"));
      AbortSignal.prototype.throwIfAborted.call(ctx.signal);
    };
    await assert.rejects(
      runHandler(cleanupAuthTokensHandler, {}, ctx),
      /shutting down/,
    );
    assert.equal(await countTokens(), 1500, "the first batch stays deleted");
    const stopped = logs.find((l) =>
      l.msg === "auth token cleanup stopped early"
    );
    assert.equal(stopped?.level, "warn");
    assert.equal(stopped?.deleted, 1000);
    assert.equal(
      logs.some((l) => l.msg === "expired auth tokens deleted"),
      false,
    );
  },
);

dbTest(
  "BfAuthToken.deleteExpired deletes one batch, with the edges touching those tokens",
  async () => {
    const cv = testViewer();
    const person = await BfRecord.create({ recordType: "person" }, cv);
    const [expired] = await BfAuthToken.createMany(
      tokens(1, new Date(Date.now() - 1000), "old"),
      cv,
    );
    const [live] = await BfAuthToken.createMany(
      tokens(1, new Date(Date.now() + HOUR), "live"),
      cv,
    );
    await BfEdge.link(person, expired, cv, "token");
    await BfEdge.link(expired, person, cv, "owner");
    await BfEdge.link(person, live, cv, "token");

    assert.equal(await BfAuthToken.deleteExpired(1000), 1);
    assert.equal(await BfAuthToken.find(cv, expired.id), null);
    assert.ok(await BfAuthToken.find(cv, live.id));
    const targets = await person.queryTargets(BfAuthToken, "token");
    assert.deepEqual(targets.map((t) => t.id), [live.id]);
    const edges = await bfDb.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM bfdb WHERE class_name = 'BfEdge'",
    );
    assert.equal(edges[0].n, 1, "the expired token's edges went with it");
    assert.equal(await BfAuthToken.deleteExpired(1000), 0);
  },
);

dbTest(
  "BfAuthToken.deleteExpired never deletes more than batchSize",
  async () => {
    const cv = testViewer();
    await BfAuthToken.createMany(
      tokens(25, new Date(Date.now() - HOUR), "old"),
      cv,
    );
    assert.equal(await BfAuthToken.deleteExpired(10), 10);
    assert.equal(await countTokens(), 15);
    assert.equal(await BfAuthToken.deleteExpired(10), 10);
    assert.equal(await BfAuthToken.deleteExpired(10), 5);
    assert.equal(await countTokens(), 0);
  },
);

dbTest(
  "BfAuthToken.deleteExpired skips tokens another transaction holds",
  async () => {
    const cv = testViewer();
    const expired = await BfAuthToken.createMany(
      tokens(5, new Date(Date.now() - HOUR), "old"),
      cv,
    );
    let releaseLock!: () => void;
    const lockReleased = new Promise<void>((
      resolve,
    ) => (releaseLock = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holder = bfDb.transaction(async () => {
      await bfDb.query(
        "SELECT bf_gid FROM bfdb_nodes WHERE bf_gid = ANY($1::text[]) FOR UPDATE",
        [
          expired.slice(0, 2).map((t) => t.id),
        ],
      );
      locked();
      await lockReleased;
    });
    await lockTaken;
    try {
      assert.equal(
        await BfAuthToken.deleteExpired(1000),
        3,
        "the two locked ones are skipped",
      );
    } finally {
      releaseLock();
      await holder;
    }
    assert.equal(await BfAuthToken.deleteExpired(1000), 2);
  },
);

dbTest("BfAuthToken stores expiresAt in the sortable ISO form", async () => {
  const cv = testViewer();
  const a = await BfAuthToken.create(
    { tokenHash: "h1", personId: "p", expiresAt: "2030-01-01T02:00:00+02:00" },
    cv,
  );
  assert.equal(a.props.expiresAt, "2030-01-01T00:00:00.000Z");
  const b = await BfAuthToken.create(
    {
      tokenHash: "h2",
      personId: "p",
      expiresAt: new Date(Date.UTC(2030, 0, 1, 12)),
    },
    cv,
  );
  assert.equal(b.props.expiresAt, "2030-01-01T12:00:00.000Z");
  b.props.expiresAt = "2031-06-01T00:00:00Z";
  await b.save();
  assert.equal(
    (await BfAuthToken.findX(cv, b.id)).props.expiresAt,
    "2031-06-01T00:00:00.000Z",
  );
  for (const expiresAt of ["tomorrow", "", "+275760-09-13T00:00:00.000Z"]) {
    await assert.rejects(
      BfAuthToken.create({ tokenHash: "h", personId: "p", expiresAt }, cv),
      (error: Error) =>
        error instanceof BfValidationError &&
        error.message.includes("expiresAt"),
    );
  }
  await assert.rejects(
    // @ts-expect-error: a missing field is a clear error at run time too
    BfAuthToken.create({ tokenHash: "h", personId: "p" }, cv),
    /BfAuthToken\.expiresAt: is required/,
  );
  assert.equal(await countTokens(), 2);
});

dbTest("BfAuthToken.deleteExpired checks batchSize", async () => {
  for (const batchSize of [0, -1, 1.5, NaN, 1_000_001]) {
    await assert.rejects(BfAuthToken.deleteExpired(batchSize), RangeError);
  }
});

dbTest(
  "migration 003 indexes expiresAt of auth tokens, and the cleanup search uses it",
  async () => {
    const cv = testViewer();
    await BfAuthToken.createMany(
      tokens(2000, new Date(Date.now() + HOUR), "live"),
      cv,
    );
    await BfRecord.createMany(Array.from({ length: 2000 }, () => ({})), cv);
    await bfDb.query("ANALYZE bfdb");
    const plan = await bfDb.transaction(async () => {
      await bfDb.query("SET LOCAL enable_seqscan = off");
      const rows = await bfDb.query<{ "QUERY PLAN": string }>(
        `EXPLAIN SELECT bf_gid FROM bfdb
       WHERE class_name = 'BfAuthToken' AND props->>'expiresAt' < bfdb_iso(now())
       LIMIT 1000 FOR UPDATE SKIP LOCKED`,
      );
      return rows.map((r) => r["QUERY PLAN"]).join("\n");
    });
    assert.match(plan, /bfdb_auth_tokens_expiry/);
  },
);

dbTest("cleanup_auth_tokens rejects a bad batchSize", async () => {
  const { ctx } = await createTestContext({ type: "cleanup_auth_tokens" });
  for (
    const payload of [
      { batchSize: 0 },
      { batchSize: "10" },
      { batchSize: 2.5 },
      null,
      [],
    ]
  ) {
    await assert.rejects(
      runHandler(cleanupAuthTokensHandler, payload, ctx),
      PayloadValidationError,
    );
  }
});

jobTest(
  "cleanup_auth_tokens through the worker: the job completes and the expired tokens are gone",
  async () => {
    const cv = testViewer("org_kit");
    await BfAuthToken.createMany(
      tokens(30, new Date(Date.now() - HOUR), "old"),
      cv,
    );
    await BfAuthToken.createMany(
      tokens(5, new Date(Date.now() + HOUR), "live"),
      cv,
    );
    const run = await performJob(cleanupAuthTokensHandler, { batchSize: 7 }, {
      cv: CurrentViewer.system(),
    });
    assert.equal(run.status, "completed", run.error);
    assert.equal(await countTokens(cv), 5);
    const line = run.logs.find((l) => l.msg === "expired auth tokens deleted");
    assert.equal(line?.deleted, 30);
    assert.equal(line?.batches, 5);
  },
);
