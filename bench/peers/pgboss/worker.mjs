// A pg-boss worker process with one no-op handler, for the bench (see lib/worker.mjs).
import { now } from "../lib/proto.mjs";
import { runWorker } from "../lib/worker.mjs";
import { openBoss, QUEUE, workOptions } from "./options.mjs";

await runWorker(async (onJob) => {
  const boss = await openBoss("worker");
  await boss.work(QUEUE, workOptions(), (jobs) => {
    for (const job of jobs) onJob(now(), job.data);
    return Promise.resolve();
  });
  return () => boss.stop({ graceful: true, timeout: 5000 });
});
