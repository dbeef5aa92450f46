// Cron over croner: the syntax teams expect, IANA zones, and daylight-saving days fired once.
import assert from "node:assert/strict";
import { CronError, parseCron } from "./cron.ts";

const iso = (d: Date | null) => d?.toISOString() ?? null;

Deno.test("cron: 30 2 * * * in Europe/Berlin fires once on the spring-forward day and once on the fall-back day", () => {
  const cron = parseCron("30 2 * * *", "Europe/Berlin");
  // 2026-03-29: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day.
  const spring = cron.between(
    new Date("2026-03-28T00:00:00Z"),
    new Date("2026-03-31T00:00:00Z"),
    10,
  ).map(iso);
  assert.equal(spring.length, 3, spring.join(", "));
  assert.equal(spring[0], "2026-03-28T01:30:00.000Z"); // 02:30 CET
  assert.ok(spring[1]!.startsWith("2026-03-29T01:"), spring[1]!); // once, in the morning after the jump
  assert.equal(spring[2], "2026-03-30T00:30:00.000Z"); // 02:30 CEST
  // 2026-10-25: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice; it fires once.
  const fall = cron.between(
    new Date("2026-10-24T00:00:00Z"),
    new Date("2026-10-27T00:00:00Z"),
    10,
  ).map(iso);
  assert.deepEqual(fall, [
    "2026-10-24T00:30:00.000Z",
    "2026-10-25T00:30:00.000Z",
    "2026-10-26T01:30:00.000Z",
  ]);
});

Deno.test("cron: ranges, steps, lists, names, shorthands and a seconds field", () => {
  const at = new Date("2026-01-01T00:00:00Z"); // a Thursday
  assert.equal(
    iso(parseCron("@hourly", "UTC").next(at)),
    "2026-01-01T01:00:00.000Z",
  );
  assert.equal(
    iso(parseCron("@daily", "UTC").next(at)),
    "2026-01-02T00:00:00.000Z",
  );
  assert.equal(
    iso(parseCron("@weekly", "UTC").next(at)),
    "2026-01-04T00:00:00.000Z",
  );
  assert.equal(
    iso(parseCron("@monthly", "UTC").next(at)),
    "2026-02-01T00:00:00.000Z",
  );
  assert.equal(
    iso(parseCron("@yearly", "UTC").next(at)),
    "2027-01-01T00:00:00.000Z",
  );
  assert.equal(
    iso(parseCron("*/15 9-17 * * MON-FRI", "UTC").next(at)),
    "2026-01-01T09:00:00.000Z",
  );
  assert.equal(
    iso(parseCron("0 9 * JAN,MAR SAT", "UTC").next(at)),
    "2026-01-03T09:00:00.000Z",
  );
  assert.equal(
    iso(parseCron("0 9 1,15 * *", "America/New_York").next(at)),
    "2026-01-01T14:00:00.000Z",
  );
  assert.equal(
    iso(parseCron("*/10 * * * * *", "UTC").next(at)),
    "2026-01-01T00:00:10.000Z",
  );
  assert.deepEqual(
    parseCron("0 * * * *", "UTC").latest(new Date("2026-01-01T05:00:00Z"), 2)
      .map(iso),
    ["2026-01-01T05:00:00.000Z", "2026-01-01T04:00:00.000Z"],
    "latest includes its own instant, newest first",
  );
});

Deno.test("cron: a bad expression or time zone is a CronError saying why", () => {
  assert.throws(() => parseCron("61 * * * *", "UTC"), /minute/);
  assert.throws(() => parseCron("* * *", "UTC"), CronError);
  assert.throws(() => parseCron("", "UTC"), /empty/);
  assert.throws(
    () => parseCron("* * * * *", "Mars/Base"),
    /unknown time zone "Mars\/Base"/,
  );
  assert.throws(
    () => parseCron("* * * * * ".repeat(40), "UTC"),
    /longer than 200/,
  );
});
