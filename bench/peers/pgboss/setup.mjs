// Installs pg-boss's schema and queues into DATABASE_URL (not timed). With BENCH_DEPTH=n, gives
// pg-boss a retained history of 2n completed jobs, which it keeps (deleteAfterSeconds, 7 days):
// n in the bench queue and n in another queue; both live in the same table (job_common). With
// BENCH_UNSERVED=u, adds u waiting (created) jobs to a queue no bench worker works, due before
// every bench job, in that same table.
import { emit, envInt } from "../lib/proto.mjs";
import { openBoss, OTHER_QUEUE, QUEUE, UNSERVED_QUEUE } from "./options.mjs";

const SCHEMA = "pgboss";
const depth = envInt("BENCH_DEPTH", 0);
const unserved = envInt("BENCH_UNSERVED", 0);
const boss = await openBoss("producer");
await boss.createQueue(QUEUE, { notify: true });
await boss.createQueue(OTHER_QUEUE, { notify: true });
await boss.createQueue(UNSERVED_QUEUE, { notify: true });
const db = boss.getDb();

/** Quotes an SQL identifier read from the catalog. */
function ident(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Copies one real job `n` times into its queue in one INSERT ... SELECT, as `state`: "completed"
 * (started and completed now) or "created" (waiting, as sent).
 */
async function prefill(queue, n, state) {
  const templateId = await boss.send(queue, { i: -1, t: 0 });
  const { rows } = await db.executeSql(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = 'job' AND is_generated = 'NEVER'
      ORDER BY ordinal_position`,
    [SCHEMA],
  );
  const overrides = {
    id: "gen_random_uuid()",
    data: "jsonb_build_object('i', g, 't', 0)",
    state: `$1::${ident(SCHEMA)}.job_state`,
    ...(state === "completed"
      ? { started_on: "now()", completed_on: "now()" }
      : {}),
  };
  const cols = rows.map((r) => r.column_name);
  const select = cols.map((c) => overrides[c] ?? `j.${ident(c)}`);
  await db.executeSql(
    `INSERT INTO ${ident(SCHEMA)}.job (${cols.map(ident).join(", ")})
     SELECT ${select.join(", ")}
       FROM ${ident(SCHEMA)}.job j, generate_series(1, $2::int) g
      WHERE j.name = $3 AND j.id = $4`,
    [state, n, queue, templateId],
  );
  await db.executeSql(
    `DELETE FROM ${ident(SCHEMA)}.job WHERE name = $1 AND id = $2`,
    [
      queue,
      templateId,
    ],
  );
}

if (unserved > 0) await prefill(UNSERVED_QUEUE, unserved, "created");
if (depth > 0) {
  await prefill(QUEUE, depth, "completed");
  await prefill(OTHER_QUEUE, depth, "completed");
}
await boss.stop({ graceful: false });
emit("done", { prefilled: 2 * depth + unserved });
