// BfJob.create / createMany: defaults, validation that names the field and writes nothing,
// one-statement all-or-nothing batches, and transactional enqueue with NOTIFY at commit.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { BfValidationError } from "../errors.ts";
import { JOB_CHANNEL } from "../jobs/jobStates.ts";
import { PostgresBackend } from "../storage/PostgresBackend.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfJob, type BfJobInput, MAX_PAYLOAD_BYTES } from "./BfJob.ts";
import { CurrentViewer } from "../CurrentViewer.ts";
import { countJobs, jobRow, TEST_CV } from "../testing/jobRows.ts";
import { waitFor } from "../testing/waitFor.ts";

dbTest(
  "create: a new job gets the defaults, runAt from the database clock",
  async () => {
    const before = await bfDb.query<{ now: string }>(
      "SELECT bfdb_iso(clock_timestamp()) AS now",
    );
    const job = await BfJob.create(
      { type: "email.send", payload: { to: "a@example.com" } },
      TEST_CV,
    );
    const after = await bfDb.query<{ now: string }>(
      "SELECT bfdb_iso(clock_timestamp()) AS now",
    );
    const stored = await jobRow(job.id);
    assert.deepEqual(stored, job.props);
    assert.equal(stored.type, "email.send");
    assert.deepEqual(stored.payload, { to: "a@example.com" });
    assert.equal(stored.status, "available");
    assert.equal(stored.attempts, 0);
    assert.equal(stored.maxAttempts, 3);
    assert.equal(stored.priority, 0);
    assert.deepEqual(stored.errors, []);
    for (const absent of ["workerId", "lockedUntil", "error", "startedAt"]) {
      assert.equal(absent in stored, false, `${absent} should be absent`);
    }
    const runAt = stored.runAt as string;
    assert.match(runAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(
      before[0].now <= runAt && runAt <= after[0].now,
      `${runAt} is the db clock`,
    );
    assert.equal(job.metadata.className, "BfJob");
    assert.equal(job.metadata.bfOid, TEST_CV.orgId);
    assert.equal(job.metadata.bfCid, TEST_CV.personId);
  },
);

dbTest(
  "create: options are stored, runAt in canonical sortable form",
  async () => {
    const job = await BfJob.create({
      type: "report.build",
      payload: [1, "two", { three: null }],
      priority: -7,
      maxAttempts: 10,
      runAt: "2031-02-03T04:05:06+02:00",
    }, TEST_CV);
    const stored = await jobRow(job.id);
    assert.equal(stored.priority, -7);
    assert.equal(stored.maxAttempts, 10);
    assert.equal(stored.runAt, "2031-02-03T02:05:06.000Z");
    assert.deepEqual(stored.payload, [1, "two", { three: null }]);

    const withDate = await BfJob.create({
      type: "t",
      payload: null,
      runAt: new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 7)),
      status: "available",
    }, TEST_CV);
    assert.equal(withDate.props.runAt, "2030-01-01T00:00:00.007Z");
    assert.equal((await jobRow(withDate.id)).payload, null);
  },
);

/** Inputs a producer might get wrong, and the field the error must name. */
const BAD_INPUTS: [string, unknown, string][] = [
  ["missing type", { payload: {} }, "type"],
  ["empty type", { type: "", payload: {} }, "type"],
  ["type too long", { type: "x".repeat(201), payload: {} }, "type"],
  ["type not a string", { type: 42, payload: {} }, "type"],
  ["missing payload", { type: "t" }, "payload"],
  [
    "payload with a function",
    { type: "t", payload: { f: () => 1 } },
    "payload",
  ],
  ["payload with NaN", { type: "t", payload: { n: Number.NaN } }, "payload"],
  ["payload with a bigint", { type: "t", payload: 1n }, "payload"],
  ["payload a Date", { type: "t", payload: new Date() }, "payload"],
  ["payload with a NUL", { type: "t", payload: "a\u0000b" }, "payload"],
  [
    "payload with a lone surrogate",
    { type: "t", payload: { s: "\ud800" } },
    "payload",
  ],
  [
    "payload key with a lone surrogate",
    { type: "t", payload: { "\udc00": 1 } },
    "payload",
  ],
  ["type with a lone surrogate", { type: "t\ud83d", payload: {} }, "type"],
  [
    "runAt garbage",
    { type: "t", payload: {}, runAt: "next tuesday-ish" },
    "runAt",
  ],
  ["runAt invalid Date", {
    type: "t",
    payload: {},
    runAt: new Date(Number.NaN),
  }, "runAt"],
  [
    "runAt a number",
    { type: "t", payload: {}, runAt: 1_700_000_000_000 },
    "runAt",
  ],
  ["runAt beyond year 9999", {
    type: "t",
    payload: {},
    runAt: "+010000-01-01T00:00:00Z",
  }, "runAt"],
  [
    "priority non-integer",
    { type: "t", payload: {}, priority: 1.5 },
    "priority",
  ],
  [
    "priority a string",
    { type: "t", payload: {}, priority: "high" },
    "priority",
  ],
  [
    "priority out of range",
    { type: "t", payload: {}, priority: 2_000_000 },
    "priority",
  ],
  ["maxAttempts 0", { type: "t", payload: {}, maxAttempts: 0 }, "maxAttempts"],
  [
    "maxAttempts negative",
    { type: "t", payload: {}, maxAttempts: -1 },
    "maxAttempts",
  ],
  [
    "maxAttempts fractional",
    { type: "t", payload: {}, maxAttempts: 2.5 },
    "maxAttempts",
  ],
  ["status running", { type: "t", payload: {}, status: "running" }, "status"],
  [
    "status completed",
    { type: "t", payload: {}, status: "completed" },
    "status",
  ],
  ["attempts preset", { type: "t", payload: {}, attempts: 2 }, "attempts"],
  ["workerId preset", { type: "t", payload: {}, workerId: "w" }, "workerId"],
  ["lockedUntil preset", {
    type: "t",
    payload: {},
    lockedUntil: "2999-01-01T00:00:00.000Z",
  }, "lockedUntil"],
  ["cancelledAt preset", {
    type: "t",
    payload: {},
    cancelledAt: "2000-01-01T00:00:00.000Z",
  }, "cancelledAt"],
  ["error preset", { type: "t", payload: {}, error: "nope" }, "error"],
  [
    "errors preset",
    { type: "t", payload: {}, errors: [{ error: "x" }] },
    "errors",
  ],
  ["unknown field", { type: "t", payload: {}, colour: "red" }, "colour"],
];

dbTest(
  "create: bad input throws BfValidationError naming the field and writes nothing",
  async () => {
    for (const [label, input, field] of BAD_INPUTS) {
      await assert.rejects(
        BfJob.create(input as BfJobInput, TEST_CV),
        (error: unknown) => {
          assert.ok(error instanceof BfValidationError, `${label}: ${error}`);
          assert.equal(error.field, field, `${label}: ${error.message}`);
          assert.match(error.message, new RegExp(`BfJob\\.${field}`), label);
          return true;
        },
        label,
      );
    }
    await assert.rejects(
      BfJob.create(null as unknown as BfJobInput, TEST_CV),
      BfValidationError,
    );
    assert.equal(await countJobs(), 0);
  },
);

dbTest("createMany: many jobs in one statement, in input order", async () => {
  const inputs = Array.from({ length: 500 }, (_, i) => ({
    type: i % 2 ? "odd" : "even",
    payload: { i },
    priority: i % 3,
  }));
  const jobs = await BfJob.createMany(inputs, TEST_CV);
  assert.equal(jobs.length, 500);
  assert.deepEqual(
    jobs.map((job) => job.props.payload),
    inputs.map((i) => i.payload),
  );
  assert.equal(new Set(jobs.map((job) => job.id)).size, 500);
  assert.equal(await countJobs("available"), 500);
  // One statement: every row got the same transaction timestamp and runAt.
  const rows = await bfDb.query<{ n: number; runs: number }>(
    `SELECT count(DISTINCT created_at)::int AS n, count(DISTINCT props->>'runAt')::int AS runs
     FROM bfdb WHERE class_name = 'BfJob'`,
  );
  assert.deepEqual({ ...rows[0] }, { n: 1, runs: 1 });
  assert.deepEqual(await BfJob.createMany([], TEST_CV), []);
});

dbTest("createMany: one bad item and nothing is written", async () => {
  const inputs: BfJobInput[] = Array.from({ length: 50 }, (_, i) => ({
    type: "batch",
    payload: { i },
  }));
  inputs[37] = { type: "batch", payload: { i: 37 }, maxAttempts: 0 };
  await assert.rejects(
    BfJob.createMany(inputs, TEST_CV),
    (error: unknown) =>
      error instanceof BfValidationError && error.field === "maxAttempts",
  );
  assert.equal(await countJobs(), 0);

  // A failure inside the database (a duplicate id) also rolls back the whole statement.
  const existing = await BfJob.create({ type: "first", payload: {} }, TEST_CV);
  const { insertJobs } = await import("../jobs/insertJobs.ts");
  await assert.rejects(
    insertJobs(TEST_CV.orgId, TEST_CV.personId, [
      {
        bfGid: crypto.randomUUID(),
        sortValue: 1,
        props: { ...existing.props },
      },
      { bfGid: existing.id, sortValue: 1, props: { ...existing.props } },
    ]),
    /duplicate key/,
  );
  assert.equal(await countJobs(), 1);
});

/** A listener on its own connection that records every payload on the job channel. */
async function listenOnJobChannel(url: string) {
  const backend = new PostgresBackend(url, { maxConnections: 1 });
  const messages: string[] = [];
  const unlisten = await backend.listen(JOB_CHANNEL, (payload) => {
    messages.push(payload);
  });
  return {
    backend,
    messages,
    /** Sends `marker` from a connection of its own and waits for it to come back. */
    async sync(marker: string): Promise<void> {
      await backend.query("SELECT pg_notify($1, $2)", [JOB_CHANNEL, marker]);
      await waitFor(() => messages.includes(marker), `NOTIFY ${marker}`);
    },
    async close(): Promise<void> {
      await unlisten();
      await backend.close();
    },
  };
}

dbTest(
  "transactional enqueue: rolled back, the job never appears and no NOTIFY is sent",
  async ({ url }) => {
    const listener = await listenOnJobChannel(url);
    try {
      await listener.sync("ready");
      let createdId = "";
      await assert.rejects(
        bfDb.transaction(async () => {
          await bfDb.query(
            `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
           VALUES ('business-row', $1, $1, 'Order', '{"total": 10}', 0)`,
            [TEST_CV.orgId],
          );
          const job = await BfJob.create(
            { type: "rolled.back", payload: { order: "business-row" } },
            TEST_CV,
          );
          createdId = job.id;
          const inside = await bfDb.query(
            "SELECT 1 FROM bfdb WHERE bf_gid = $1",
            [job.id],
          );
          assert.equal(inside.length, 1, "visible inside its transaction");
          const outside = await listener.backend.query(
            "SELECT 1 FROM bfdb WHERE bf_gid = $1",
            [job.id],
          );
          assert.equal(outside.length, 0, "invisible outside before commit");
          throw new Error("business write failed");
        }),
        /business write failed/,
      );
      // Notifications arrive in commit order: once a later marker is in, an earlier one would be.
      await listener.sync("after-rollback");
      assert.deepEqual(listener.messages, ["ready", "after-rollback"]);
      assert.equal(await countJobs(), 0);
      assert.equal(await BfJob.get(createdId), null);
      const business = await bfDb.query(
        "SELECT 1 FROM bfdb WHERE bf_gid = 'business-row'",
      );
      assert.equal(business.length, 0);
    } finally {
      await listener.close();
    }
  },
);

dbTest(
  "transactional enqueue: committed, the job appears and the listener hears only after commit",
  async ({ url }) => {
    const listener = await listenOnJobChannel(url);
    try {
      await listener.sync("ready");
      const created = await bfDb.transaction(async () => {
        const [a, b] = await BfJob.createMany([
          { type: "committed.one", payload: { n: 1 } },
          { type: "committed.two", payload: { n: 2 } },
        ], TEST_CV);
        // A marker committed on another connection while this transaction is open arrives,
        // and the jobs' notifications have not.
        await listener.sync("while-open");
        assert.deepEqual(listener.messages, ["ready", "while-open"]);
        const outside = await listener.backend.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM bfdb WHERE class_name = 'BfJob'",
        );
        assert.equal(Number(outside[0].n), 0);
        return [a, b];
      });
      await waitFor(
        () =>
          listener.messages.includes("committed.one\tdefault") &&
          listener.messages.includes("committed.two\tdefault"),
        "job notifications",
      );
      assert.deepEqual(listener.messages.slice(0, 2), ["ready", "while-open"]);
      assert.deepEqual(
        [...listener.messages.slice(2)].sort(),
        ["committed.one\tdefault", "committed.two\tdefault"],
      );
      for (const job of created) {
        const seen = await listener.backend.query<{ status: string }>(
          "SELECT props->>'status' AS status FROM bfdb WHERE bf_gid = $1",
          [job.id],
        );
        assert.deepEqual(seen.map((row) => row.status), ["available"]);
      }
      // Outside a transaction, create notifies at once (its statement commits on its own).
      await BfJob.create({ type: "autocommit", payload: {} }, TEST_CV);
      await waitFor(
        () => listener.messages.includes("autocommit\tdefault"),
        "autocommit notify",
      );
    } finally {
      await listener.close();
    }
  },
);

dbTest(
  "transactional enqueue: a job created next to a business write commits with it",
  async () => {
    const jobId = await bfDb.transaction(async () => {
      await bfDb.query(
        `INSERT INTO bfdb (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
       VALUES ('order-1', $1, $1, 'Order', '{"total": 10}', 0)`,
        [TEST_CV.orgId],
      );
      const job = await BfJob.create(
        { type: "order.confirm", payload: { order: "order-1" } },
        TEST_CV,
      );
      return job.id;
    });
    const rows = await bfDb.query<{ bf_gid: string }>(
      "SELECT bf_gid FROM bfdb WHERE bf_gid IN ('order-1', $1) ORDER BY bf_gid",
      [jobId],
    );
    assert.equal(rows.length, 2);
    const claimed = await BfJob.claimNext("worker-1");
    assert.equal(claimed?.id, jobId);
    assert.deepEqual(claimed?.props.payload, { order: "order-1" });
  },
);

dbTest(
  "createOnce: one job per key, even when many callers race or the job has finished",
  async () => {
    const input = {
      type: "recurring.digest",
      payload: { period: "2030-01-01" },
    };
    const results = await Promise.all(
      Array.from(
        { length: 10 },
        () => BfJob.createOnce(input, "digest:2030-01-01", TEST_CV),
      ),
    );
    const winners = results.filter((job) => job !== null);
    assert.equal(winners.length, 1);
    assert.equal(await countJobs(), 1);
    const winner = winners[0]!;
    assert.equal(winner.props.status, "available");
    assert.deepEqual(winner.props.payload, input.payload);

    // Finished, the key still holds.
    const claimed = await BfJob.claimNext("worker-1");
    assert.equal(claimed?.id, winner.id);
    assert.ok(await claimed.complete());
    assert.equal(
      await BfJob.createOnce(input, "digest:2030-01-01", TEST_CV),
      null,
    );
    // Another key is another job; the id is stable per key.
    const other = await BfJob.createOnce(input, "digest:2030-01-02", TEST_CV);
    assert.ok(other);
    assert.notEqual(other.id, winner.id);
    assert.equal(await countJobs(), 2);
    // It validates like create, and writes nothing when the input is bad.
    await assert.rejects(
      BfJob.createOnce({ type: "", payload: {} }, "bad", TEST_CV),
      BfValidationError,
    );
    assert.equal(await countJobs(), 2);
  },
);

dbTest(
  "payload limits: the broken part is named by its path, an oversized payload is refused before it is sent",
  async () => {
    const refuse = async (payload: unknown, pattern: RegExp) => {
      const error = await BfJob.create({ type: "t", payload }, TEST_CV).then(
        () => null,
        (e) => e,
      );
      assert.ok(error instanceof BfValidationError, String(error));
      assert.equal(error.field, "payload");
      assert.match(error.message, pattern);
    };
    let deep: unknown = 1;
    for (let i = 0; i < 101; i++) deep = { a: deep };
    await refuse(
      { b: [0, 0, 0, deep] },
      /payload\.b\[3\](\.a)+: nesting deeper than 100/,
    );
    await refuse(
      { x: { "odd key": [1, NaN] } },
      /payload\.x\["odd key"\]\[1\]: NaN is not a JSON number/,
    );
    await refuse(
      { when: new Date() },
      /payload\.when: a Date is not a plain JSON object/,
    );
    await refuse({ s: "a\u0000b" }, /payload\.s: a string with a NUL/);
    // 300 MB of string: refused at once, by length, with the limit in the message.
    const huge = "x".repeat(300 * 1024 * 1024);
    const started = performance.now();
    await refuse(
      { huge },
      new RegExp(`larger than the limit of ${MAX_PAYLOAD_BYTES} bytes`),
    );
    const tookMs = performance.now() - started;
    // Multi-byte characters count as their UTF-8 bytes.
    await refuse(
      { s: "é".repeat(MAX_PAYLOAD_BYTES / 2) },
      /larger than the limit/,
    );
    assert.equal(
      await countJobs(),
      0,
      `nothing written (refusal took ${tookMs} ms)`,
    );

    // 100 levels and a 200 KB payload are fine.
    let ok: unknown = 1;
    for (let i = 0; i < 99; i++) ok = { a: ok };
    const big = { text: "y".repeat(200 * 1024), nested: ok };
    const job = await BfJob.create({ type: "t", payload: big }, TEST_CV);
    assert.deepEqual((await jobRow(job.id)).payload, big);
  },
);

Deno.test("viewer ids: NUL, lone surrogates, empty and overlong ids are clear errors", () => {
  for (const bad of ["", "a\u0000b", "\ud800", "o".repeat(201)]) {
    assert.throws(
      () => CurrentViewer.forOrg(bad),
      /orgId must/,
      JSON.stringify(bad),
    );
    assert.throws(() => CurrentViewer.forOrg("org", bad), /personId must/);
  }
  assert.equal(CurrentViewer.forOrg("o".repeat(200)).orgId.length, 200);
});
