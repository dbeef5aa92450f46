// The README's "A new job type in three steps", followed literally: step 1's file is the
// testdata file byte for byte, step 2 registers its handler as the README shows, step 3's line
// enqueues, and the job runs through the worker with the product's other handlers.
import assert from "node:assert/strict";
import { drainJobs, jobTest, testViewer } from "../testing/jobTesting.ts";
import {
  sendWelcomeEmail,
  sendWelcomeEmailHandler,
} from "../testdata/sendWelcomeEmail.ts";
import { JOB_TYPES } from "./jobTypes.ts";
import { productHandlers } from "./productHandlers.ts";

const README = new URL("../../../README.md", import.meta.url);
const STEP_1_FILE = new URL("../testdata/sendWelcomeEmail.ts", import.meta.url);

/** The ```ts blocks of the README's three-steps section, in order. */
async function stepBlocks(): Promise<string[]> {
  const readme = await Deno.readTextFile(README);
  const start = readme.indexOf("### A new job type in three steps");
  assert.ok(start >= 0, "the README has the section");
  const section = readme.slice(start, readme.indexOf("\n### ", start + 1));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

jobTest(
  "a new job type in three steps, as the README writes them",
  async () => {
    const [step1, step2, step3] = await stepBlocks();
    assert.equal(step1, await Deno.readTextFile(STEP_1_FILE), "step 1's file");
    assert.match(
      step2,
      /import \{ sendWelcomeEmailHandler \} from "\.\/sendWelcomeEmail\.ts";/,
    );
    assert.match(
      step2,
      /JOB_TYPES = \[\.\.\.theOthers, sendWelcomeEmailHandler\]/,
    );
    // Step 2: the product's list with the new handler at its end.
    const { handlers } = productHandlers({}, undefined, [
      ...JOB_TYPES,
      sendWelcomeEmailHandler,
    ]);
    assert.ok(handlers.some((h) => h.type === "send_welcome_email"));
    // Step 3, the README's line as it stands.
    assert.equal(
      step3.trim(),
      'await sendWelcomeEmail.enqueue({ to: "ada@example.com" }, cv);',
    );
    const cv = testViewer();
    await sendWelcomeEmail.enqueue({ to: "ada@example.com" }, cv);
    const drained = await drainJobs({ handlers });
    assert.deepEqual(
      drained.completed.map((j) => [j.props.queue, j.props.result]),
      [
        ["emails", { sentTo: "ada@example.com" }],
      ],
    );
    assert.ok(
      drained.logs.some((l) =>
        l.msg === "welcome email sent" && l.name === "friend"
      ),
    );
  },
);
