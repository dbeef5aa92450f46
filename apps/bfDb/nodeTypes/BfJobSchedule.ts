import { type CronSchedule, parseCron } from "@bfmono/packages/cron/cron.ts";
import { bfDb } from "../bfDb.ts";
import { BfNode, type InferProps } from "../classes/BfNode.ts";
import { jsonProblem } from "../classes/jsonValue.ts";
import { CurrentViewer, SYSTEM_ORG_ID } from "../CurrentViewer.ts";
import { BfValidationError } from "../errors.ts";
import { gidFromKey } from "../ids.ts";
import { isPlainName } from "../names.ts";
import { BfJob, MAX_PAYLOAD_BYTES } from "./BfJob.ts";

/** What a schedule does with slots that passed while no worker ran. */
export type MissedPolicy = "skip" | "once" | "all";

/** A recurring job as declared in code (see `defineSchedule` in the collector). */
export interface ScheduleDefinition {
  /** Unique among schedules; 1-200 characters. */
  name: string;
  /** A cron expression: 5 fields (or 6 with seconds first), or `@hourly`, `@daily`, ... */
  cron: string;
  /** An IANA time zone the expression is read in; default `UTC`. */
  timezone?: string;
  /** The job type each slot enqueues, and its payload. */
  type: string;
  payload?: unknown;
  /** Slots missed while every worker was down: `skip` (default), `once` or `all`. */
  missed?: MissedPolicy;
}

/** A schedule as stored: its definition and its state, shared by every worker and the CLI. */
export interface ScheduleState {
  name: string;
  cron: string;
  timezone: string;
  type: string;
  payload: unknown;
  missed: MissedPolicy;
  paused: boolean;
  /** Every slot up to this instant has been fired or let go (ISO-8601). */
  checkedUntil: string;
  /** The next slot to fire, or null when the expression has no more. */
  nextSlot: string | null;
  /** The most recent slot a job was created for, if any. */
  lastFiredSlot: string | null;
}

/** A job one slot of a schedule created (or found already created by another worker). */
export interface FiredSlot {
  name: string;
  slot: string;
  jobId: string;
  /** False when another worker had created it first. */
  created: boolean;
}

const CLASS_NAME = "BfJobSchedule";
const MISSED_POLICIES: readonly MissedPolicy[] = ["skip", "once", "all"];

/**
 * A slot seen within this long after its instant is on time; an older one was missed (every
 * worker was down, or the scheduler could not reach the database) and its schedule's
 * `missed` policy decides.
 */
export const ON_TIME_MS = 60_000;

/** The most missed slots `missed: "all"` fires at once (the newest ones). */
export const MAX_MISSED_SLOTS = 100;

/** How long a fired slot's key is kept (against two workers firing it); its state keeps it after. */
const SLOT_KEY_TTL_MS = 86_400_000;

function invalid(field: string, problem: string): BfValidationError {
  return new BfValidationError(CLASS_NAME, field, problem);
}

/** Checks a schedule definition, fills its defaults, and parses its cron expression. */
export function checkScheduleDefinition(
  definition: ScheduleDefinition,
): Required<ScheduleDefinition> & { schedule: CronSchedule } {
  if (definition === null || typeof definition !== "object") {
    throw invalid("(definition)", "expected an object");
  }
  const { name, cron, timezone = "UTC", type, payload = {}, missed = "skip" } =
    definition;
  for (const [field, value] of [["name", name], ["type", type]] as const) {
    if (!isPlainName(value, 200)) {
      throw invalid(
        field,
        "expected 1 to 200 characters, no control characters or surrounding spaces",
      );
    }
  }
  if (!MISSED_POLICIES.includes(missed)) {
    throw invalid("missed", `expected one of ${MISSED_POLICIES.join(", ")}`);
  }
  const problem = jsonProblem(payload, "payload", MAX_PAYLOAD_BYTES);
  if (problem) throw invalid("payload", problem);
  let schedule: CronSchedule;
  try {
    schedule = parseCron(cron, timezone);
  } catch (error) {
    const message = (error as Error).message;
    throw invalid(/time zone/.test(message) ? "timezone" : "cron", message);
  }
  return { name, cron, timezone, type, payload, missed, schedule };
}

/**
 * Which slots to fire when a schedule is looked at `now`, and its state after: slots in
 * (`checkedUntil`, `now`] seen within {@linkcode ON_TIME_MS} fire; older ones were missed, and
 * `skip` lets them go, `once` fires the newest of them (only), `all` fires up to
 * {@linkcode MAX_MISSED_SLOTS} of the newest, oldest first. Pure, so tests move the state, not
 * the clock.
 */
export function planSlots(
  schedule: CronSchedule,
  missed: MissedPolicy,
  checkedUntil: Date,
  now: Date,
): { fire: Date[]; checkedUntil: Date; nextSlot: Date | null } {
  const due = schedule.latest(now, MAX_MISSED_SLOTS)
    .filter((slot) => slot.getTime() > checkedUntil.getTime())
    .reverse();
  const onTime = due.filter((slot) =>
    now.getTime() - slot.getTime() <= ON_TIME_MS
  );
  const fire = missed === "all"
    ? due
    : missed === "once"
    ? due.slice(-1)
    : onTime;
  return { fire, checkedUntil: now, nextSlot: schedule.next(now) };
}

/** The id of schedule `name`'s node: derived from the name, so every worker upserts one row. */
function scheduleId(name: string): Promise<string> {
  return gidFromKey(`bf:schedule:${name}`);
}

/**
 * A recurring job's definition and state, as a node of the system org in `bfdb`. Workers upsert
 * the schedules they declare when they start and fire their slots; operators list, pause,
 * resume and run them (`bft schedules`).
 *
 * @example
 * ```ts
 * await BfJobSchedule.upsert([{ name: "nightly", cron: "0 3 * * *", timezone: "Europe/Berlin", type: "digest" }]);
 * const fired = await BfJobSchedule.fireDue(["nightly"]);
 * ```
 */
export class BfJobSchedule extends BfNode<InferProps<typeof BfJobSchedule>> {
  static override bfNodeSpec = this.defineBfNode((node) =>
    node
      .string("name")
      .string("cron")
      .string("timezone")
      .string("type")
      .json("payload")
      .enum("missed", MISSED_POLICIES)
      .boolean("paused").default(false)
      .string("checkedUntil")
      .string("nextSlot").optional()
      .string("lastFiredSlot").optional()
  );

  /**
   * Stores each definition (new ones start now: no slot before their first start is fired).
   * A definition whose cron expression or time zone changed starts over from now; its pause
   * and history stay. Paused state and history are never reset by a restart.
   */
  static async upsert(
    definitions: readonly ScheduleDefinition[],
  ): Promise<void> {
    if (definitions.length === 0) return;
    const checked = definitions.map(checkScheduleDefinition);
    const names = new Set<string>();
    for (const def of checked) {
      if (names.has(def.name)) {
        throw invalid("name", `${JSON.stringify(def.name)} is declared twice`);
      }
      names.add(def.name);
    }
    const now = await databaseNow();
    for (const def of checked) {
      const props = {
        name: def.name,
        cron: def.cron,
        timezone: def.timezone,
        type: def.type,
        payload: def.payload,
        missed: def.missed,
        paused: false,
        checkedUntil: now.toISOString(),
        nextSlot: def.schedule.next(now)?.toISOString() ?? null,
        lastFiredSlot: null,
      };
      await bfDb.query(
        `INSERT INTO bfdb_nodes (bf_gid, bf_oid, bf_cid, class_name, props, sort_value)
         VALUES ($1, $2, $2, $3, $4::text::jsonb, $5::bigint)
         ON CONFLICT (bf_gid) DO UPDATE SET
           props = CASE
             WHEN bfdb_nodes.props->>'cron' IS DISTINCT FROM EXCLUDED.props->>'cron'
               OR bfdb_nodes.props->>'timezone' IS DISTINCT FROM EXCLUDED.props->>'timezone'
             THEN EXCLUDED.props || jsonb_build_object(
               'paused', bfdb_nodes.props->'paused',
               'lastFiredSlot', bfdb_nodes.props->'lastFiredSlot')
             ELSE bfdb_nodes.props || jsonb_build_object(
               'type', EXCLUDED.props->'type', 'payload', EXCLUDED.props->'payload',
               'missed', EXCLUDED.props->'missed')
           END,
           last_updated = now()
         WHERE bfdb_nodes.class_name = $3
           AND bfdb_nodes.props - 'paused' - 'checkedUntil' - 'nextSlot' - 'lastFiredSlot'
             IS DISTINCT FROM EXCLUDED.props - 'paused' - 'checkedUntil' - 'nextSlot'
               - 'lastFiredSlot'`,
        [
          await scheduleId(def.name),
          SYSTEM_ORG_ID,
          CLASS_NAME,
          JSON.stringify(props),
          Date.now(),
        ],
      );
    }
  }

  /** Every stored schedule (or those named), by name. */
  static async list(names?: readonly string[]): Promise<ScheduleState[]> {
    const rows = await bfDb.query<{ props: ScheduleState | string }>(
      `SELECT props FROM bfdb_nodes
       WHERE bf_oid = $1 AND class_name = $2
         AND ($3::text[] IS NULL OR props->>'name' = ANY($3::text[]))
       ORDER BY props->>'name'`,
      [SYSTEM_ORG_ID, CLASS_NAME, names ? [...names] : null],
    );
    return rows.map((row) => stateOf(row.props));
  }

  /**
   * Fires the due slots of the schedules named (those this worker declares): for each one not
   * paused whose next slot has come, in one transaction under its row lock (a schedule another
   * worker is firing is skipped), creates one job per slot to fire (see
   * {@linkcode planSlots}) with an id derived from the name and the slot, `runAt` the slot, and
   * records how far it has looked. So however many workers fire at once, and whatever their
   * clocks (the database's is used), each slot gets exactly one job.
   */
  static async fireDue(names: readonly string[]): Promise<FiredSlot[]> {
    if (names.length === 0) return [];
    // Cheap, and almost always empty: only a schedule whose slot has come takes a transaction.
    const due = await bfDb.query<{ bf_gid: string }>(
      `SELECT bf_gid FROM bfdb_nodes
       WHERE bf_oid = $1 AND class_name = $2 AND props->>'name' = ANY($3::text[])
         AND props->>'paused' = 'false' AND props->>'nextSlot' <= bfdb_iso(now())`,
      [SYSTEM_ORG_ID, CLASS_NAME, [...names]],
    );
    const fired: FiredSlot[] = [];
    for (const { bf_gid } of due) {
      fired.push(...await bfDb.transaction(() => fireOne(bf_gid)));
    }
    return fired;
  }

  /** Pauses or resumes schedule `name`; a resumed one fires nothing from its pause. False when unknown. */
  static async setPaused(name: string, paused: boolean): Promise<boolean> {
    const [state] = await BfJobSchedule.list([name]);
    if (!state) return false;
    const schedule = parseCron(state.cron, state.timezone);
    const now = await databaseNow();
    const rows = await bfDb.query(
      `UPDATE bfdb_nodes SET props = props || $3::text::jsonb, last_updated = now()
       WHERE bf_gid = $1 AND class_name = $2 RETURNING bf_gid`,
      [
        await scheduleId(name),
        CLASS_NAME,
        JSON.stringify(
          paused ? { paused: true } : {
            paused: false,
            checkedUntil: now.toISOString(),
            nextSlot: schedule.next(now)?.toISOString() ?? null,
          },
        ),
      ],
    );
    return rows.length === 1;
  }

  /** Enqueues one job of schedule `name` now, outside its slots; returns it, or null when unknown. */
  static async runNow(name: string): Promise<BfJob | null> {
    const [state] = await BfJobSchedule.list([name]);
    if (!state) return null;
    return await BfJob.create(
      { type: state.type, payload: state.payload },
      CurrentViewer.system(),
    );
  }
}

/** Fires one schedule's due slots, inside the caller's transaction. */
async function fireOne(id: string): Promise<FiredSlot[]> {
  const [row] = await bfDb.query<
    { props: ScheduleState | string; now: string }
  >(
    `SELECT props, bfdb_iso(now()) AS now FROM bfdb_nodes
     WHERE bf_gid = $1 AND class_name = $2
       AND props->>'paused' = 'false' AND props->>'nextSlot' <= bfdb_iso(now())
     FOR UPDATE SKIP LOCKED`,
    [id, CLASS_NAME],
  );
  if (!row) return [];
  const state = stateOf(row.props);
  const schedule = parseCron(state.cron, state.timezone);
  const plan = planSlots(
    schedule,
    state.missed,
    new Date(state.checkedUntil),
    new Date(row.now),
  );
  // Every slot to fire in one statement; a slot's key is its schedule and instant.
  const created = await BfJob.createManyOnce(
    plan.fire.map((slot) => {
      const iso = slot.toISOString();
      return {
        input: { type: state.type, payload: state.payload, runAt: iso },
        key: `bf:schedule:${state.name}:${iso}`,
        keyExpiresAt: new Date(slot.getTime() + SLOT_KEY_TTL_MS).toISOString(),
      };
    }),
    CurrentViewer.system(),
  );
  const fired: FiredSlot[] = plan.fire.map((slot, i) => ({
    name: state.name,
    slot: slot.toISOString(),
    jobId: created[i].id,
    created: created[i].job !== null,
  }));
  await bfDb.query(
    `UPDATE bfdb_nodes SET props = props || $2::text::jsonb, last_updated = now()
     WHERE bf_gid = $1`,
    [
      id,
      JSON.stringify({
        checkedUntil: plan.checkedUntil.toISOString(),
        nextSlot: plan.nextSlot?.toISOString() ?? null,
        ...(plan.fire.length > 0
          ? { lastFiredSlot: plan.fire.at(-1)!.toISOString() }
          : {}),
      }),
    ],
  );
  return fired;
}

function stateOf(props: ScheduleState | string): ScheduleState {
  const p = (typeof props === "string" ? JSON.parse(props) : props) as
    & ScheduleState
    & Record<string, unknown>;
  return {
    name: p.name,
    cron: p.cron,
    timezone: p.timezone,
    type: p.type,
    payload: p.payload,
    missed: p.missed,
    paused: p.paused === true,
    checkedUntil: p.checkedUntil,
    nextSlot: p.nextSlot ?? null,
    lastFiredSlot: p.lastFiredSlot ?? null,
  };
}

async function databaseNow(): Promise<Date> {
  const [{ now }] = await bfDb.query<{ now: string }>(
    "SELECT bfdb_iso(now()) AS now",
  );
  return new Date(now);
}
