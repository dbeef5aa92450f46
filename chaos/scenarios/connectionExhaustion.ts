/**
 * Scenario 5, connection exhaustion: idle clients take every connection slot an ordinary role
 * can get, then close a few, and hold the rest for 30 s. A third of the way in, one worker is
 * restarted (SIGTERM, then started again) so that a fresh process must find connections too.
 * Then the idle clients let go.
 *
 * @module
 */
import postgres from "postgres";
import { APP_ROLE, type Scenario, type ScenarioContext } from "../harness.ts";

/** Slots left free for the workers while the idle clients hold the rest. */
const LEFT_FREE = 3;

/** Client connections by application_name, as the server counts them. */
async function connectionsByApp(ctx: ScenarioContext): Promise<string> {
  const rows = await ctx.admin.unsafe<{ app: string; n: number }[]>(
    `SELECT COALESCE(NULLIF(application_name, ''), '?') AS app, count(*)::int AS n
     FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 1`,
  );
  return rows.map((r) => `${r.app} ${r.n}`).join(", ");
}

/** Scenario 5. */
export const connectionExhaustion: Scenario = {
  id: 5,
  key: "connection-exhaustion",
  title: "idle clients hold all but 3 connection slots for 30 s",
  async inject(ctx) {
    // One client per connection, so that single connections can be closed again.
    const held: postgres.Sql[] = [];
    const closeAll = () =>
      Promise.all(held.splice(0).map((c) => c.end({ timeout: 1 })));
    ctx.defer(closeAll);
    let refusal = "";
    ctx.faultStart();
    for (let i = 0; i < ctx.cluster.maxConnections; i++) {
      const client = postgres(ctx.cluster.url(ctx.database, APP_ROLE), {
        max: 1,
        onnotice: () => {},
        connect_timeout: 5,
        idle_timeout: 0,
        connection: { application_name: "chaos_holder" },
      });
      try {
        const reserved = await client.reserve();
        await reserved`SELECT 1`;
        held.push(client);
      } catch (error) {
        refusal = error instanceof Error ? error.message : String(error);
        await client.end({ timeout: 1 }).catch(() => {});
        break;
      }
    }
    await Promise.all(
      held.splice(0, LEFT_FREE).map((c) => c.end({ timeout: 1 })),
    );
    const census = await connectionsByApp(ctx);
    ctx.event(`idle clients hold ${held.length} connections (${census})`);
    ctx.note(
      `idle clients held ${held.length} of max_connections ${ctx.cluster.maxConnections} ` +
        `and left ${LEFT_FREE} free (first refusal: ${refusal || "none"}); ` +
        `client connections then: ${census}`,
    );
    ctx.check(
      "the idle clients filled the server",
      refusal !== "" && held.length > 0,
      refusal ? "" : "the server never refused a connection",
    );
    const hold = ctx.duration(30_000, 8_000);
    await ctx.sleep(hold / 3);
    const old = ctx.fleet.get("a");
    const exit = await old.terminate(ctx.graceMs + 10_000);
    ctx.event(`SIGTERM worker ${old.name}: exit ${exit.signal ?? exit.code}`);
    ctx.check(
      "worker stopped by SIGTERM under exhaustion exited 0",
      exit.code === 0 && exit.signal === null,
      `${old.name}: ${exit.signal ?? `code ${exit.code}`}`,
    );
    const fresh = ctx.startWorker("a");
    // Keep a failure to start for the await below, not as an unhandled rejection.
    fresh.catch(() => {});
    await ctx.sleep(hold * 2 / 3);
    await closeAll();
    ctx.event("idle clients let go");
    await fresh;
    ctx.faultEnd();
  },
};
