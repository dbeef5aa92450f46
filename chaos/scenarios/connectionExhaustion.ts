/**
 * Scenario 5, connection exhaustion: idle clients take every connection slot an ordinary role
 * can get, then give back all but a few, and hold them for 30 s. Halfway through, one worker
 * is restarted (SIGTERM, then started again) so that a fresh process must find connections
 * too. Then the idle clients let go.
 *
 * @module
 */
import postgres from "postgres";
import { APP_ROLE, type Scenario } from "../harness.ts";

/** Slots left free for the workers while the idle clients hold the rest. */
const LEFT_FREE = 3;

/** Scenario 5. */
export const connectionExhaustion: Scenario = {
  id: 5,
  key: "connection-exhaustion",
  title: "idle clients hold all but 3 connection slots for 30 s",
  async inject(ctx) {
    const holders = postgres(ctx.cluster.url(ctx.database, APP_ROLE), {
      max: ctx.cluster.maxConnections,
      onnotice: () => {},
      connect_timeout: 5,
      idle_timeout: 0,
      connection: { application_name: "chaos_holder" },
    });
    ctx.defer(() => holders.end({ timeout: 5 }));
    const held: postgres.ReservedSql[] = [];
    let refusal = "";
    ctx.faultStart();
    for (let i = 0; i < ctx.cluster.maxConnections; i++) {
      try {
        const reserved = await holders.reserve();
        await reserved`SELECT 1`;
        held.push(reserved);
      } catch (error) {
        refusal = error instanceof Error ? error.message : String(error);
        break;
      }
    }
    for (const reserved of held.splice(0, LEFT_FREE)) reserved.release();
    ctx.event(`idle clients hold ${held.length} connections (${refusal})`);
    ctx.note(
      `idle clients held ${held.length} of max_connections ${ctx.cluster.maxConnections}, ` +
        `leaving ${LEFT_FREE} free (then refused: ${refusal || "never"})`,
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
    ctx.event(`restarted worker ${old.name}: exit ${exit.signal ?? exit.code}`);
    ctx.check(
      "worker stopped by SIGTERM under exhaustion exited 0",
      exit.code === 0 && exit.signal === null,
      `${old.name}: ${exit.signal ?? `code ${exit.code}`}`,
    );
    const fresh = ctx.fleet.start("a");
    await ctx.sleep(hold * 2 / 3);
    for (const reserved of held) reserved.release();
    await holders.end({ timeout: 5 });
    ctx.event("idle clients let go");
    await fresh.ready(45_000);
    ctx.event(`worker ${fresh.name} ready`);
    ctx.faultEnd();
  },
};
