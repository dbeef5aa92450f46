/**
 * Scenario 6, pinned xmin: an idle-in-transaction session (REPEATABLE READ, snapshot taken)
 * holds the xmin horizon for 60 s while jobs flow, so no dead row version can be vacuumed;
 * afterwards throughput must return to its baseline.
 *
 * @module
 */
import type { Scenario } from "../harness.ts";

/** Scenario 6. */
export const pinnedXmin: Scenario = {
  id: 6,
  key: "pinned-xmin",
  title: "an idle-in-transaction session pins xmin for 60 s",
  async inject(ctx) {
    const session = await ctx.admin.reserve();
    let open = false;
    ctx.defer(async () => {
      if (open) await session.unsafe("ROLLBACK").catch(() => {});
      session.release();
    });
    await session.unsafe("BEGIN ISOLATION LEVEL REPEATABLE READ");
    open = true;
    await session.unsafe("SELECT count(*) FROM bfdb");
    const [{ pid }] = await session.unsafe<{ pid: number }[]>(
      "SELECT pg_backend_pid() AS pid",
    );
    ctx.faultStart();
    const deadTuples = async () => {
      const [row] = await ctx.admin.unsafe<{ n: number }[]>(
        `SELECT COALESCE(n_dead_tup, 0)::int AS n FROM pg_stat_user_tables
         WHERE relname = 'bfdb'`,
      );
      return row?.n ?? 0;
    };
    const before = await deadTuples();
    await ctx.sleep(ctx.duration(60_000, 12_000));
    const [state] = await ctx.admin.unsafe<
      { xmin: string | null; state: string | null }[]
    >(
      "SELECT backend_xmin::text AS xmin, state FROM pg_stat_activity WHERE pid = $1",
      [pid],
    );
    const during = await deadTuples();
    ctx.check(
      "the session really pinned xmin",
      state?.xmin != null && state.state === "idle in transaction",
      `backend_xmin ${state?.xmin}, state ${state?.state}`,
    );
    await session.unsafe("COMMIT");
    open = false;
    ctx.event("xmin released");
    ctx.note(
      `dead row versions in bfdb: ${before} when pinned, ${during} at release (xmin ${state?.xmin})`,
    );
    ctx.faultEnd();
  },
};
