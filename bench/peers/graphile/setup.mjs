// Installs graphile-worker's schema into DATABASE_URL (not timed). graphile-worker deletes jobs
// once they complete, so there is no retained history to prefill for W4.
import { load } from "../lib/packages.mjs";
import { databaseUrl, emit } from "../lib/proto.mjs";
import { logger } from "./options.mjs";

const { runMigrations } = await load("graphile-worker");

await runMigrations({ connectionString: databaseUrl(), logger });
emit("done", { prefilled: 0 });
