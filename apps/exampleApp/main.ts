/**
 * Runs the example application: `deno run -A apps/exampleApp/main.ts`. On the embedded
 * database (no `DATABASE_URL`) its worker runs inside this process, because PGlite admits one
 * process; on PostgreSQL it does too unless `APP_WORKER=off`, when `bft worker` processes run
 * the jobs instead.
 *
 * @module
 */
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { productHandlers } from "@bfmono/apps/collector/handlers/productHandlers.ts";
import { startWorker } from "@bfmono/apps/collector/worker/worker.ts";
import { handleRequest } from "./app.ts";

if (import.meta.main) {
  await bfDb.ready();
  const embedded = !Deno.env.get("DATABASE_URL");
  const worker = embedded || Deno.env.get("APP_WORKER") !== "off"
    ? await startWorker(productHandlers({}))
    : undefined;
  const server = Deno.serve(
    { port: Number(Deno.env.get("PORT") ?? 8000) },
    handleRequest,
  );
  const stop = async () => {
    await server.shutdown();
    await worker?.stop();
    await bfDb.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
