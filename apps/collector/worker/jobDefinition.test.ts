// Typed job definitions (issue 16): a producer's payload is checked against the type's schema
// before anything is written, the definition's defaults apply unless the producer overrides
// them, and its handler inherits the type, schema and queue.
import assert from "node:assert/strict";
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { countJobs, TEST_CV } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { startTestWorker } from "../testing/testWorker.ts";
import { defineJob } from "./jobDefinition.ts";
import { PayloadValidationError } from "./standardSchema.ts";

const sendWelcome = defineJob({
  type: "send_welcome",
  schema: z.object({
    to: z.email(),
    name: z.string().default("friend"),
  }),
  queue: "emails",
  priority: 5,
});

dbTest(
  "enqueue: the schema's output is stored, with the definition's defaults",
  async () => {
    const job = await sendWelcome.enqueue({ to: "ada@example.com" }, TEST_CV);
    assert.equal(job.props.type, "send_welcome");
    assert.deepEqual(job.props.payload, {
      to: "ada@example.com",
      name: "friend",
    });
    assert.equal(job.props.queue, "emails");
    assert.equal(job.props.priority, 5);
    const overridden = await sendWelcome.enqueue(
      { to: "bob@example.com", name: "Bob" },
      TEST_CV,
      { queue: "urgent", priority: 9, maxAttempts: 1 },
    );
    assert.equal(overridden.props.queue, "urgent");
    assert.equal(overridden.props.priority, 9);
    assert.equal(overridden.props.maxAttempts, 1);
    const stored = await BfJob.findX(TEST_CV, overridden.id);
    assert.deepEqual(stored.props.payload, {
      to: "bob@example.com",
      name: "Bob",
    });
  },
);

dbTest(
  "enqueue: a bad payload names the field and writes nothing",
  async () => {
    await assert.rejects(
      // @ts-expect-error: the payload type is inferred from the schema
      sendWelcome.enqueue({ to: 42 }, TEST_CV),
      (error: Error) =>
        error instanceof PayloadValidationError &&
        /invalid payload for send_welcome: to: /.test(error.message),
    );
    await assert.rejects(
      sendWelcome.enqueueMany(
        [{ to: "ok@example.com" }, { to: "not an email" }],
        TEST_CV,
      ),
      /to: /,
    );
    assert.equal(
      await countJobs(),
      0,
      "neither payload of the batch was written",
    );
  },
);

dbTest(
  "enqueue joins the caller's transaction: the job rolls back with it",
  async () => {
    await assert.rejects(
      bfDb.transaction(async () => {
        await sendWelcome.enqueue({ to: "ada@example.com" }, TEST_CV);
        throw new Error("the business write failed");
      }),
      /business write failed/,
    );
    assert.equal(await countJobs(), 0);
    const jobs = await bfDb.transaction(() =>
      sendWelcome.enqueueMany(
        [{ to: "a@example.com" }, { to: "b@example.com" }],
        TEST_CV,
      )
    );
    assert.equal(jobs.length, 2);
    assert.equal(await countJobs(), 2);
  },
);

Deno.test("defineJob refuses a definition without a type, a schema or a good queue", () => {
  const schema = z.object({});
  assert.throws(() => defineJob({ type: "", schema }), /type/);
  assert.throws(
    () => defineJob({ type: "x", schema: {} as never }),
    /Standard Schema/,
  );
  assert.throws(() => defineJob({ type: "x", schema, queue: " q" }), /queue/);
});

dbTest(
  "the handler runs the parsed payload; a worker not serving its queue warns",
  async () => {
    const seen: string[] = [];
    const handler = sendWelcome.handler((payload) => {
      seen.push(`${payload.name} <${payload.to}>`);
      return Promise.resolve();
    });
    assert.equal(handler.type, "send_welcome");
    assert.equal(handler.queue, "emails");
    const job = await sendWelcome.enqueue({ to: "ada@example.com" }, TEST_CV);
    {
      await using w = await startTestWorker({
        handlers: [handler],
        config: { queues: ["emails"] },
      });
      await w.waitForStatus(job.id, "completed");
      assert.deepEqual(seen, ["friend <ada@example.com>"]);
      assert.equal(
        w.logs.filter((l) => l.msg.startsWith("handler's queue not served"))
          .length,
        0,
      );
    }
    await using elsewhere = await startTestWorker({
      handlers: [handler],
      config: { queues: ["default"] },
    });
    const [line] = await elsewhere.waitForLogs(
      "handler's queue not served: its jobs wait for another worker",
    );
    assert.equal(line.queue, "emails");
  },
);
