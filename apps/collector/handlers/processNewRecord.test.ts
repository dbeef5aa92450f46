import assert from "node:assert/strict";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfRecord } from "@bfmono/apps/bfDb/nodeTypes/BfRecord.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { PermanentJobError } from "../worker/handler.ts";
import { PayloadValidationError } from "../worker/standardSchema.ts";
import { canonicalJson, sha256Hex } from "./canonicalJson.ts";
import {
  processNewRecord,
  processNewRecordHandler,
  recordDigest,
} from "./processNewRecord.ts";
import {
  assertEnqueued,
  drainJobs,
  jobTest,
  performJob,
} from "../testing/jobTesting.ts";
import {
  createTestContext,
  runHandler,
  testViewer,
} from "../testing/testContext.ts";

jobTest(
  "process_new_record marks the record processed with a digest of its data",
  async () => {
    const cv = testViewer();
    const data = { title: "Hallel", bpm: 92, tags: ["psalm", "live"] };
    const record = await BfRecord.create({ recordType: "song", data }, cv);
    const payload = {
      record_id: record.id,
      record_type: "song",
      metadata: { source: "upload" },
    };

    const run = await performJob(processNewRecordHandler, payload, { cv });

    assert.equal(run.status, "completed");
    const stored = await BfRecord.findX(cv, record.id);
    assert.equal(stored.props.recordType, "song");
    assert.deepEqual(stored.props.data, data);
    assert.match(
      stored.props.processedAt ?? "",
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    );
    assert.equal(stored.props.digest, await sha256Hex(canonicalJson(data)));
    assert.match(stored.props.digest ?? "", /^[0-9a-f]{64}$/);
    const line = run.logs.find((l) => l.msg === "record processed");
    assert.ok(line);
    assert.equal(line.jobId, run.job.id);
    assert.equal(line.recordId, record.id);
    assert.deepEqual(line.metadata, { source: "upload" });
  },
);

jobTest(
  "process_new_record: enqueued with the record in one transaction, both or neither",
  async () => {
    const cv = testViewer();
    const record = await bfDb.transaction(async () => {
      const record = await BfRecord.create({ data: { n: 1 } }, cv);
      await processNewRecord.enqueue({ record_id: record.id }, cv);
      return record;
    });
    await assertEnqueued({
      type: "process_new_record",
      payload: { record_id: record.id },
      org: cv.orgId,
    });
    await assert.rejects(
      bfDb.transaction(async () => {
        const doomed = await BfRecord.create({ data: { n: 2 } }, cv);
        await processNewRecord.enqueue({ record_id: doomed.id }, cv);
        throw new Error("the request failed after both writes");
      }),
      /request failed/,
    );
    const drained = await drainJobs();
    assert.deepEqual(drained.completed.map((j) => j.props.payload), [{
      record_id: record.id,
    }]);
    assert.equal(drained.failed.length, 0);
  },
);

dbTest(
  "process_new_record is idempotent: a re-run changes nothing",
  async () => {
    const cv = testViewer();
    const record = await BfRecord.create({ data: { b: 2, a: 1 } }, cv);
    const payload = { record_id: record.id };
    const { ctx, logs } = await createTestContext({
      type: "process_new_record",
      payload,
      cv,
    });

    await runHandler(processNewRecordHandler, payload, ctx);
    const first = await BfRecord.findX(cv, record.id);
    await runHandler(processNewRecordHandler, payload, { ...ctx, attempt: 2 });
    const second = await BfRecord.findX(cv, record.id);

    assert.equal(first.props.recordType, "generic");
    assert.equal(second.props.digest, first.props.digest);
    assert.equal(second.props.processedAt, first.props.processedAt);
    assert.equal(
      second.metadata.lastUpdated.getTime(),
      first.metadata.lastUpdated.getTime(),
    );
    assert.ok(logs.some((l) => l.msg === "record already processed"));
  },
);

dbTest(
  "process_new_record: the digest ignores key order and follows the data",
  async () => {
    const cv = testViewer();
    const one = await BfRecord.create({
      data: { a: 1, nested: { x: [1, 2], y: "z" } },
    }, cv);
    const two = await BfRecord.create({
      data: { nested: { y: "z", x: [1, 2] }, a: 1 },
    }, cv);
    for (const record of [one, two]) {
      const payload = { record_id: record.id };
      const { ctx } = await createTestContext({
        type: "process_new_record",
        payload,
        cv,
      });
      await runHandler(processNewRecordHandler, payload, ctx);
    }
    const [a, b] = await Promise.all([
      BfRecord.findX(cv, one.id),
      BfRecord.findX(cv, two.id),
    ]);
    assert.equal(a.props.digest, b.props.digest);

    // Changing the data and running again records a new digest.
    a.props.data = { a: 2 };
    await a.save();
    const payload = { record_id: a.id };
    const { ctx } = await createTestContext({
      type: "process_new_record",
      payload,
      cv,
    });
    await runHandler(processNewRecordHandler, payload, ctx);
    const changed = await BfRecord.findX(cv, a.id);
    assert.equal(changed.props.digest, await recordDigest({ a: 2 }));
    assert.notEqual(changed.props.digest, b.props.digest);
  },
);

dbTest(
  "process_new_record: a missing record fails permanently with a clear error",
  async () => {
    const cv = testViewer();
    for (
      const recordId of [
        123,
        "0198534c-1111-7aaa-8bbb-123456789abc",
        "'; DROP TABLE bfdb; --",
      ]
    ) {
      const payload = { record_id: recordId };
      const { ctx } = await createTestContext({
        type: "process_new_record",
        payload,
        cv,
      });
      await assert.rejects(
        runHandler(processNewRecordHandler, payload, ctx),
        (error: Error) => {
          assert.ok(error instanceof PermanentJobError);
          assert.equal(
            error.message,
            `record ${JSON.stringify(String(recordId))} not found in org ${
              JSON.stringify(cv.orgId)
            }`,
          );
          return true;
        },
      );
    }
    const [{ n }] = await bfDb.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM bfdb",
    );
    assert.ok(n > 0, "the table is still there");
  },
);

jobTest("process_new_record: another org's record is not visible", async () => {
  const owner = testViewer("org_owner");
  const record = await BfRecord.create({
    recordType: "song",
    data: { secret: true },
  }, owner);
  const run = await performJob(
    processNewRecordHandler,
    { record_id: record.id, record_type: "song" },
    { cv: testViewer("org_other") },
  );
  assert.equal(run.status, "failed", "permanent: no retry can help");
  assert.match(run.error ?? "", /not found in org "org_other_/);
  const untouched = await BfRecord.findX(owner, record.id);
  assert.equal(untouched.props.processedAt, undefined);
  assert.equal(untouched.props.digest, undefined);
});

dbTest(
  "process_new_record: a different record_type fails permanently and changes nothing",
  async () => {
    const cv = testViewer();
    const record = await BfRecord.create({ recordType: "song", data: {} }, cv);
    const payload = { record_id: record.id, record_type: "album" };
    const { ctx } = await createTestContext({
      type: "process_new_record",
      payload,
      cv,
    });
    await assert.rejects(
      runHandler(processNewRecordHandler, payload, ctx),
      (error: Error) => {
        assert.ok(error instanceof PermanentJobError);
        assert.equal(
          error.message,
          `record "${record.id}" has type "song", not "album"`,
        );
        return true;
      },
    );
    assert.equal(
      (await BfRecord.findX(cv, record.id)).props.processedAt,
      undefined,
    );
  },
);

dbTest(
  "process_new_record: an aborted signal stops before writing",
  async () => {
    const cv = testViewer();
    const record = await BfRecord.create({ data: { a: 1 } }, cv);
    const payload = { record_id: record.id };
    const { ctx, controller } = await createTestContext({
      type: "process_new_record",
      payload,
      cv,
    });
    controller.abort(new Error("shutting down"));
    await assert.rejects(
      runHandler(processNewRecordHandler, payload, ctx),
      /shutting down/,
    );
    assert.equal(
      (await BfRecord.findX(cv, record.id)).props.processedAt,
      undefined,
    );
  },
);

dbTest("process_new_record rejects malformed payloads", async () => {
  const { ctx } = await createTestContext({ type: "process_new_record" });
  for (
    const payload of [
      {},
      { record_id: "" },
      { record_id: 1.5 },
      { record_id: -1 },
      { record_id: null },
      { record_id: "r", record_type: 3 },
      { record_id: "r", metadata: "x" },
    ]
  ) {
    await assert.rejects(
      runHandler(processNewRecordHandler, payload, ctx),
      PayloadValidationError,
      JSON.stringify(payload),
    );
  }
});
