// A claimer process for BfJob.concurrency.test.ts: its own bfDb on one connection. Prints
// {"ready", pid}, waits for a line on stdin (the start gun), then claims batches and completes
// them until a claim comes back empty, and prints every job it claimed.
// With mode "hang" it claims one batch with a 1 s lease, prints it, and then never settles or
// heartbeats, waiting to be killed (kill -9) by BfJob.lease.test.ts.
// Usage: deno run -A claimWorker.ts <databaseUrl> <workerId> <batchSize> [hang]
import { bfDb } from "../../bfDb.ts";
import { connectAndAwaitStart } from "../../testing/startGun.ts";
import { BfJob } from "../BfJob.ts";

const [url, workerId, batchArg, mode] = Deno.args;
const batchSize = Number(batchArg);
const pid = await connectAndAwaitStart(url);

if (mode === "hang") {
  const jobs = await BfJob.claimBatch(workerId, {
    limit: batchSize,
    leaseMs: 1_000,
  });
  console.log(JSON.stringify({ claimed: jobs.map((job) => job.held) }));
  setInterval(() => {}, 60_000); // stay alive, connection open, until killed
  await new Promise(() => {});
}

const claimed: { id: string; attempt: number }[] = [];
const refused: string[] = [];
const pids = new Set<number>([pid]);
while (true) {
  const jobs = await BfJob.claimBatch(workerId, { limit: batchSize });
  if (jobs.length === 0) break;
  claimed.push(...jobs.map((job) => job.held));
  const done = await BfJob.completeMany(workerId, jobs.map((job) => job.held));
  const doneSet = new Set(done);
  refused.push(...jobs.filter((job) => !doneSet.has(job.id)).map((j) => j.id));
}
const [after] = await bfDb.query<{ pid: number }>(
  "SELECT pg_backend_pid() AS pid",
);
pids.add(after.pid);
console.log(JSON.stringify({ workerId, pids: [...pids], claimed, refused }));
await bfDb.close();
