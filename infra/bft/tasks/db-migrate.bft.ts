import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
import { parseArgs } from "@bfmono/infra/bft/args.ts";

/** `bft db migrate`: applies pending bfdb migrations. */
export const bftTask: BftTask = {
  name: "db migrate",
  description:
    "Apply pending database migrations (safe to run from many processes at once)",
  usage: "db migrate",
  run: async (args) => {
    parseArgs(args, { maxPositionals: 0 });
    const { migrate } = await import("@bfmono/apps/bfDb/migrate.ts");
    const { openBackend } = await import(
      "@bfmono/apps/bfDb/storage/openBackend.ts"
    );
    const backend = await openBackend({
      databaseUrl: Deno.env.get("DATABASE_URL")?.trim() || undefined,
      maxConnections: 1,
    });
    try {
      const applied = await migrate(backend);
      console.log(
        applied.length
          ? `applied migrations ${applied.join(", ")}`
          : "database is up to date",
      );
      return 0;
    } finally {
      await backend.close();
    }
  },
};
