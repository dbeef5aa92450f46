/**
 * Scenario 7, graceful stop: slow PostHog's answers down so a worker surely has jobs in flight
 * (captures sent, not yet answered), then SIGTERM it. Those jobs must finish (completed by it,
 * first attempt, delivered once), the worker must exit 0, and it must leave nothing claimed or
 * running (jobs it had only claimed ahead go back to the queue). It is started again afterwards.
 *
 * @module
 */
import type { Scenario } from "../harness.ts";
import { heldBy } from "./heldJobs.ts";

const SLOW_ANSWER_MS = 1_500;

/** Scenario 7. */
export const gracefulStop: Scenario = {
  id: 7,
  key: "graceful-stop",
  title: "SIGTERM a worker with jobs in flight",
  async inject(ctx) {
    const normal = ctx.fake.delayMs;
    const victim = ctx.fleet.get("a");
    const workerId = victim.workerId!;
    ctx.fake.delayMs = SLOW_ANSWER_MS;
    ctx.defer(() => (ctx.fake.delayMs = normal));
    // Let slow captures pile up, so the worker has a full set in flight.
    await ctx.sleep(SLOW_ANSWER_MS / 2);
    const open = ctx.fake.openUuids();
    const [{ ids }] = await ctx.admin.unsafe<{ ids: string[] | null }[]>(
      `SELECT array_agg(bf_gid) AS ids FROM bfdb
       WHERE class_name = 'BfJob' AND props->>'workerId' = $1
         AND props->>'status' IN ('claimed', 'running') AND bf_gid = ANY($2::text[])`,
      [workerId, open],
    );
    const inFlight = ids ?? [];
    ctx.faultStart();
    const exit = await victim.terminate(ctx.graceMs + 10_000);
    const tookMs = (victim.ended?.at ?? Date.now()) - (victim.signalledAt ?? 0);
    ctx.event(
      `SIGTERM worker ${victim.name} with ${inFlight.length} capture(s) in flight: exit ` +
        `${exit.signal ?? exit.code} after ${tookMs} ms`,
    );
    ctx.fake.delayMs = normal;
    const stillHeld = await heldBy(ctx.admin, workerId);
    const rows = inFlight.length === 0 ? [] : await ctx.admin.unsafe<
      {
        id: string;
        status: string;
        worker_id: string | null;
        attempts: number;
      }[]
    >(
      `SELECT bf_gid AS id, props->>'status' AS status, props->>'workerId' AS worker_id,
              (props->>'attempts')::int AS attempts
       FROM bfdb WHERE bf_gid = ANY($1::text[])`,
      [inFlight],
    );
    const finishedByIt = rows.filter((r) =>
      r.status === "completed" && r.worker_id === workerId &&
      r.attempts === 1 && ctx.fake.count(r.id) === 1
    );
    ctx.check(
      "jobs were in flight at SIGTERM",
      inFlight.length > 0,
      `${inFlight.length} captures of this worker unanswered at SIGTERM ` +
        `(it logged running=${victim.runningAtStop})`,
    );
    ctx.check(
      "the stopped worker exited 0",
      exit.code === 0 && exit.signal === null,
      `${exit.signal ?? `code ${exit.code}`} after ${tookMs} ms`,
    );
    ctx.check(
      "it left nothing claimed or running",
      stillHeld === 0 && victim.unsettledAtStop === 0,
      `${stillHeld} still held; worker logged unsettled=${victim.unsettledAtStop}`,
    );
    ctx.check(
      "its in-flight jobs finished (completed by it, first attempt, delivered once)",
      finishedByIt.length === inFlight.length,
      rows.filter((r) => !finishedByIt.includes(r)).slice(0, 3).map((r) =>
        `${r.id}: ${r.status} by ${r.worker_id}, attempts ${r.attempts}, ` +
        `delivered ${ctx.fake.count(r.id)}x`
      ).join("; "),
    );
    ctx.note(
      `${inFlight.length} capture(s) in flight at SIGTERM; ${finishedByIt.length} finished by ` +
        `the worker before it exited (${
          exit.signal ?? `code ${exit.code}`
        }) ${tookMs} ms later`,
    );
    await ctx.sleep(ctx.duration(5_000, 2_000));
    await ctx.startWorker("a");
    ctx.faultEnd();
  },
};
