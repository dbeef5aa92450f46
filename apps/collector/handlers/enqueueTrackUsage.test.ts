import assert from "node:assert/strict";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { PayloadValidationError } from "../worker/standardSchema.ts";
import { trackUsage } from "./enqueueTrackUsage.ts";
import { testViewer } from "../testing/testContext.ts";

async function jobCount(): Promise<number> {
  const [{ n }] = await bfDb.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM bfdb WHERE class_name = 'BfJob'",
  );
  return n;
}

dbTest(
  "trackUsage queues a track_usage job with the event, as BfJob.create would",
  async () => {
    const cv = testViewer();
    const event = {
      event: "song_played",
      distinctId: "person_1",
      properties: { song: "x" },
    };
    const job = await trackUsage(event, cv);
    assert.equal(job.props.type, "track_usage");
    assert.equal(job.props.status, "available");
    assert.deepEqual(job.props.payload, { event });
    assert.equal(job.metadata.bfOid, cv.orgId);
    const stored = await BfJob.findX(cv, job.id);
    assert.deepEqual(stored.props.payload, { event });
    const [{ status, count }] = await bfDb.query<
      { status: string; count: number }
    >(
      "SELECT props->>'status' AS status, COUNT(*)::int AS count FROM bfDb WHERE class_name = 'BfJob' GROUP BY 1",
    );
    assert.deepEqual({ status, count }, { status: "available", count: 1 });
  },
);

dbTest("trackUsage rejects a malformed event and queues nothing", async () => {
  const cv = testViewer();
  await assert.rejects(
    // @ts-expect-error: distinctId is required
    trackUsage({ event: "signed_up" }, cv),
    (error: Error) =>
      error instanceof PayloadValidationError &&
      error.message.includes("event.distinctId"),
  );
  assert.equal(await jobCount(), 0);
});

dbTest(
  "trackUsage inside a transaction rolls back with the caller's writes",
  async () => {
    const cv = testViewer();
    await assert.rejects(
      bfDb.transaction(async () => {
        await trackUsage({ event: "checkout", distinctId: "p" }, cv);
        throw new Error("payment failed");
      }),
      /payment failed/,
    );
    assert.equal(await jobCount(), 0);
  },
);
