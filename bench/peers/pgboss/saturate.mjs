// W5 for pg-boss: one PgBoss instance (one pool) both inserts and works (see lib/saturate.mjs).
import { now } from "../lib/proto.mjs";
import { runSaturate } from "../lib/saturate.mjs";
import { openBoss, QUEUE, workOptions } from "./options.mjs";

const boss = await openBoss("worker", { pool: true });
await runSaturate({
  async start(onJob) {
    await boss.work(QUEUE, workOptions(), (jobs) => {
      for (const job of jobs) onJob(now(), job.data);
      return Promise.resolve();
    });
    return () => boss.stop({ graceful: true, timeout: 5000 });
  },
  addMany: (payloads) => boss.insert(QUEUE, payloads.map((data) => ({ data }))),
});
