/**
 * Scenario 7, graceful stop: slow PostHog answers down so a worker surely has jobs in flight,
 * SIGTERM it; those jobs must finish (not be released or abandoned), the worker must exit 0,
 * and it must leave nothing claimed or running. It is started again afterwards.
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
    // Let the slow answers pile up so the worker holds a full batch.
    await ctx.sleep(SLOW_ANSWER_MS / 2);
    const [{ ids }] = await ctx.admin.unsafe<{ ids: string[] | null }[]>(
      `SELECT array_agg(bf_gid) AS ids FROM bfdb
       WHERE class_name = 'BfJob' AND props->>'workerId' = $1
         AND props->>'status' IN ('claimed', 'running')`,
      [workerId],
    );
    const inFlight = ids ?? [];
    ctx.faultStart();
    const exit = await victim.terminate(ctx.graceMs + 10_000);
    const tookMs = (victim.exit?.at ?? Date.now()) - (victim.signalledAt ?? 0);
    ctx.event(
      `SIGTERM worker ${victim.name} with ${inFlight.length} job(s) in flight: exit ` +
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
      r.status === "completed" && r.worker_id === workerId && r.attempts === 1
    );
    ctx.check(
      "jobs were in flight at SIGTERM",
      inFlight.length > 0 && (victim.runningAtStop ?? 0) > 0,
      `${inFlight.length} held in the database; the worker logged running=${victim.runningAtStop}`,
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
      "its in-flight jobs finished (completed by it, first attempt)",
      finishedByIt.length === inFlight.length,
      rows.filter((r) => !finishedByIt.includes(r)).slice(0, 3).map((r) =>
        `${r.id}: ${r.status} by ${r.worker_id}, attempts ${r.attempts}`
      ).join("; "),
    );
    ctx.note(
      `${inFlight.length} job(s) in flight at SIGTERM; ${finishedByIt.length} finished by it ` +
        `before it exited (${
          exit.signal ?? `code ${exit.code}`
        }) ${tookMs} ms later`,
    );
    await ctx.sleep(ctx.duration(5_000, 2_000));
    await ctx.startWorker("a");
    ctx.faultEnd();
  },
};
