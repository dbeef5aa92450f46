import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";
import { withOperator } from "@bfmono/infra/bft/operatorConnection.ts";

/**
 * `bft db migrate`: applies pending bfdb migrations to the database bft reaches: PostgreSQL at
 * `DATABASE_URL`, else the embedded database in `BFDB_DATA_DIR`, through the worker holding it
 * when one runs (it migrated at start, so there is nothing left to apply).
 */
export const bftTask: BftTask = {
  name: "db migrate",
  description:
    "Apply pending database migrations (safe to run from many processes at once)",
  usage: "db migrate",
  run: async (args) => {
    parseArgs(args, { maxPositionals: 0 });
    return await withOperator(async (ops) => {
      const { applied } = await ops.migrate();
      console.log(
        applied.length
          ? `applied migrations ${applied.join(", ")}`
          : "database is up to date",
      );
      return 0;
    }, { migrate: false });
  },
};
