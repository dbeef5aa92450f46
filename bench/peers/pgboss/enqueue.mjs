// Enqueues bench jobs through pg-boss (send / insert).
import { runEnqueue } from "../lib/enqueue.mjs";
import { openBoss, QUEUE } from "./options.mjs";

const boss = await openBoss("producer");
await runEnqueue({
  warm: () => boss.getQueue(QUEUE),
  addOne: (payload) => boss.send(QUEUE, payload),
  addMany: (payloads) => boss.insert(QUEUE, payloads.map((data) => ({ data }))),
  close: () => boss.stop({ graceful: false }),
});
