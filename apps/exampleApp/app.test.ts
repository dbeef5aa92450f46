// The example application on both backends (issue 16): a record and its job commit together or
// not at all, and the worker running in the application's own process processes the record.
import assert from "node:assert/strict";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { productHandlers } from "@bfmono/apps/collector/handlers/productHandlers.ts";
import {
  assertEnqueued,
  jobTest,
  type TestBackend,
} from "@bfmono/apps/collector/testing/jobTesting.ts";
import { waitFor } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import { startWorker } from "@bfmono/apps/collector/worker/worker.ts";
import { capturingLogger } from "@bfmono/apps/collector/testing/capturingLogger.ts";
import { handleRequest } from "./app.ts";

function post(body: unknown): Promise<Response> {
  return handleRequest(
    new Request("http://app/records", {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

async function counts(): Promise<{ records: number; jobs: number }> {
  const [row] = await bfDb.query<{ records: number; jobs: number }>(
    `SELECT count(*) FILTER (WHERE class_name = 'BfRecord')::int AS records,
            count(*) FILTER (WHERE class_name = 'BfJob')::int AS jobs
     FROM bfdb`,
  );
  return row;
}

for (const backend of ["pglite", "postgres"] as TestBackend[]) {
  jobTest(
    `${backend}: POST /records commits the record and its job together`,
    async () => {
      const created = await post({
        org: "org_app",
        recordType: "song",
        data: { t: 1 },
      });
      assert.equal(created.status, 201);
      const { recordId, jobId } = await created.json();
      const [job] = await assertEnqueued({
        type: "process_new_record",
        payload: { record_id: recordId, record_type: "song" },
        org: "org_app",
      });
      assert.equal(job.id, jobId);
      assert.deepEqual(await counts(), { records: 1, jobs: 1 });
    },
    { backend },
  );

  jobTest(
    `${backend}: a job that cannot be enqueued takes its record with it`,
    async () => {
      // A record type the job's schema refuses (over 200 characters): the record is written
      // first, then the enqueue fails, and the transaction undoes both.
      const refused = await post({
        org: "org_app",
        recordType: "x".repeat(201),
      });
      assert.equal(refused.status, 400);
      assert.match((await refused.json()).error, /recordType|record_type/);
      const bad = await post("{not json");
      assert.equal(bad.status, 400);
      assert.deepEqual(await counts(), { records: 0, jobs: 0 });
    },
    { backend },
  );

  jobTest(
    `${backend}: the worker inside the application processes the record`,
    async () => {
      const worker = await startWorker({
        ...productHandlers({}),
        config: { pollIntervalMs: 50 },
        logger: capturingLogger().logger,
      });
      try {
        const created = await post({ org: "org_app", data: { n: 1 } });
        const { recordId } = await created.json();
        let record: Record<string, unknown> = {};
        await waitFor(async () => {
          const shown = await handleRequest(
            new Request(`http://app/records/${recordId}?org=org_app`),
          );
          record = await shown.json();
          return typeof record.processedAt === "string";
        }, "the record to be processed");
        assert.match(String(record.digest), /^[0-9a-f]{64}$/);
      } finally {
        await worker.stop();
      }
    },
    { backend },
  );
}
