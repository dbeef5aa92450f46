// A scheduler process for BfJobSchedule.test.ts: its own bfDb on one connection. Prints
// {"ready", pid}, waits for the start gun on stdin, then fires schedule `name`'s due slots in a
// loop for `ms` milliseconds, and prints how many jobs it created and found already created.
// Usage: deno run -A scheduleFirer.ts <databaseUrl> <name> <ms>
import { bfDb } from "../../bfDb.ts";
import { connectAndAwaitStart } from "../../testing/startGun.ts";
import { BfJobSchedule } from "../BfJobSchedule.ts";

const [url, name, msArg] = Deno.args;
await connectAndAwaitStart(url);
const until = performance.now() + Number(msArg);
let created = 0;
let found = 0;
while (performance.now() < until) {
  for (const slot of await BfJobSchedule.fireDue([name])) {
    if (slot.created) created++;
    else found++;
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(JSON.stringify({ done: true, created, found }));
await bfDb.close();
