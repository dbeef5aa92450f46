// The quick chaos suite, all eight scenarios, as one test of `deno task test` (about four
// minutes): real `bft worker` processes against a private PostgreSQL cluster this test starts
// and removes itself. `deno task chaos` runs the same scenarios at full length.
import assert from "node:assert/strict";
import { SCENARIOS } from "./scenarios/all.ts";
import { runSuite } from "./suite.ts";

Deno.test({
  name:
    "chaos (quick): no job lost, none left unfinished, no worker dies, in all eight faults",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const suite = await runSuite({
      quick: true,
      log: (line) => console.log(line),
    });
    console.log(`\n${suite.table}\n`);
    assert.equal(
      suite.results.length,
      SCENARIOS.length,
      suite.failures.join("\n"),
    );
    assert.ok(
      suite.ok,
      `chaos checks failed:\n${suite.failures.join("\n")}\n` +
        (suite.meta.logDir ? `worker logs: ${suite.meta.logDir}` : ""),
    );
  },
});
