// A producer with no setup at all, as the README shows it: bfDb opens DATABASE_URL (else the
// embedded database) on first use. Prints the new job's id.
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";

const job = await BfJob.create(
  { type: "process_new_record", payload: { record_id: "r1" } },
  CurrentViewer.forOrg("org_producer"),
);
console.log(job.id);
// The embedded database keeps the process alive until it is closed.
if (Deno.args.includes("--close")) await bfDb.close();
