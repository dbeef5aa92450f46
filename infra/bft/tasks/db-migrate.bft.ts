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
    const { ConfigError, databaseUrlFromEnv } = await import(
      "@bfmono/apps/collector/config.ts"
    );
    let databaseUrl: string | undefined;
    try {
      databaseUrl = databaseUrlFromEnv();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(`error: ${error.message}`);
      return 2;
    }
    const { migrate } = await import("@bfmono/apps/bfDb/migrate.ts");
    const { openBackend } = await import(
      "@bfmono/apps/bfDb/storage/openBackend.ts"
    );
    const backend = await openBackend({
      databaseUrl,
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
