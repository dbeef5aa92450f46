// The test kit itself (issue 16): assertions on waiting jobs, draining through real handlers,
// and one job performed alone, on the default in-memory PGlite and on PostgreSQL.
import assert from "node:assert/strict";
import { z } from "zod";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { PermanentJobError } from "../worker/handler.ts";
import { defineJob } from "../worker/jobDefinition.ts";
import { PayloadValidationError } from "../worker/standardSchema.ts";
import {
  assertEnqueued,
  drainJobs,
  jobTest,
  performJob,
  refuteEnqueued,
  type TestBackend,
  testViewer,
} from "./jobTesting.ts";

const greet = defineJob({
  type: "greet",
  schema: z.object({
    name: z.string(),
    fail: z.enum(["once", "always"]).optional(),
  }),
});
const followUp = defineJob({
  type: "follow_up",
  schema: z.object({ of: z.string() }),
});

const followUpHandler = followUp.handler(() => Promise.resolve("followed up"));
const greetHandler = greet.handler(async ({ name, fail }, ctx) => {
  if (fail === "always") throw new PermanentJobError(`cannot greet ${name}`);
  if (fail === "once" && ctx.attempt === 1) throw new Error("not yet");
  ctx.logger.info("greeted", { name });
  await followUp.enqueue({ of: name }, ctx.cv);
  return `hello ${name}`;
});

for (const backend of ["pglite", "postgres"] as TestBackend[]) {
  jobTest(
    `${backend}: assertEnqueued and refuteEnqueued match type, partial payload, org`,
    async () => {
      const cv = testViewer();
      await greet.enqueue({ name: "Ada" }, cv, { queue: "people" });
      const [job] = await assertEnqueued({
        type: "greet",
        payload: { name: "Ada" },
      });
      assert.equal(job.props.queue, "people");
      await assertEnqueued({ type: "greet", org: cv.orgId, queue: "people" });
      await refuteEnqueued({ type: "greet", payload: { name: "Bob" } });
      await refuteEnqueued({ type: "greet", org: "org_someone_else" });
      await assert.rejects(
        assertEnqueued({ type: "greet", payload: { name: "Bob" } }),
        /expected a waiting greet job matching .*"Bob".*waiting greet jobs: .*"Ada"/,
      );
      await assert.rejects(
        refuteEnqueued({ type: "greet" }),
        /expected no waiting greet job .*found .*"Ada"/,
      );
    },
    { backend },
  );

  jobTest(
    `${backend}: drainJobs runs due jobs and the jobs they enqueue, and reports each`,
    async () => {
      const cv = testViewer();
      await greet.enqueueMany(
        [{ name: "Ada" }, { name: "Bob", fail: "once" }, {
          name: "Cy",
          fail: "always",
        }],
        cv,
      );
      await greet.enqueue({ name: "Later" }, cv, {
        runAt: new Date(Date.now() + 3_600_000),
      });
      const report = await drainJobs({
        handlers: [greetHandler, followUpHandler],
      });
      assert.deepEqual(
        report.completed.map((j) => [j.props.type, j.props.result]).sort(),
        [["follow_up", "followed up"], ["greet", "hello Ada"]],
      );
      assert.deepEqual(report.failed.map((j) => j.props.payload), [{
        name: "Cy",
        fail: "always",
      }]);
      assert.deepEqual(report.retrying.map((j) => j.props.payload), [{
        name: "Bob",
        fail: "once",
      }]);
      assert.ok(
        report.logs.some((l) => l.msg === "greeted" && l.name === "Ada"),
      );
      await assertEnqueued({ type: "greet", payload: { name: "Later" } });
    },
    { backend },
  );

  jobTest(
    `${backend}: performJob runs one job alone with a real context`,
    async () => {
      const cv = testViewer();
      const other = await greet.enqueue({ name: "Waiting" }, cv);
      const done = await performJob(greetHandler, { name: "Ada" }, { cv });
      assert.equal(done.status, "completed");
      assert.equal(done.job.props.result, "hello Ada");
      assert.equal(done.job.cv.orgId, cv.orgId);
      assert.ok(done.logs.some((l) => l.msg === "greeted"));
      assert.equal((await BfJob.findX(cv, other.id)).props.status, "available");
      const failed = await performJob(greetHandler, {
        name: "Cy",
        fail: "always",
      });
      assert.equal(failed.status, "failed");
      assert.match(failed.error ?? "", /cannot greet Cy/);
      const retrying = await performJob(greetHandler, {
        name: "Bob",
        fail: "once",
      });
      assert.equal(retrying.status, "retrying");
      await assert.rejects(
        performJob(greetHandler, { name: 42 }),
        PayloadValidationError,
      );
    },
    { backend },
  );
}
