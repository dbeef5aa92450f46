// A producer process for BfJob.unique.test.ts: its own bfDb on one connection. Prints
// {"ready", pid}, waits for a line on stdin (the start gun), then creates `count` jobs of type
// `type` with one unique option, and prints how many were fresh, deduplicated and replaced.
// Usage: deno run -A uniqueCreator.ts <databaseUrl> <writer> <count> <type> <unique as JSON>
import { bfDb } from "../../bfDb.ts";
import { TEST_CV } from "../../testing/jobRows.ts";
import { connectAndAwaitStart } from "../../testing/startGun.ts";
import { BfJob } from "../BfJob.ts";

const [url, writer, countArg, type, uniqueJson] = Deno.args;
await connectAndAwaitStart(url);

const outcome = { writer, fresh: 0, deduplicated: 0, replaced: 0 };
const ids = new Set<string>();
for (let n = 0; n < Number(countArg); n++) {
  const job = await BfJob.create({
    type,
    payload: { writer, n },
    unique: JSON.parse(uniqueJson),
  }, TEST_CV);
  ids.add(job.id);
  if (job.replaced) outcome.replaced++;
  else if (job.deduplicated) outcome.deduplicated++;
  else outcome.fresh++;
}
console.log(JSON.stringify({ done: true, ...outcome, ids: [...ids] }));
await bfDb.close();
