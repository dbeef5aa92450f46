// sortableInstant: full ISO-8601 instants with an offset (or Date objects) only, real calendar
// dates and clock times only, stored as UTC with milliseconds.
import assert from "node:assert/strict";
import { BfValidationError } from "./errors.ts";
import { sortableInstant } from "./instants.ts";

Deno.test("sortableInstant keeps real instants, in UTC with milliseconds", () => {
  assert.equal(
    sortableInstant("BfJob", "runAt", "2026-12-01T08:00:00.123+01:00"),
    "2026-12-01T07:00:00.123Z",
  );
  assert.equal(
    sortableInstant("BfJob", "runAt", "2024-02-29T12:00Z"),
    "2024-02-29T12:00:00.000Z",
  );
  assert.equal(
    sortableInstant("BfJob", "runAt", new Date(Date.UTC(2030, 0, 1))),
    "2030-01-01T00:00:00.000Z",
  );
});

Deno.test("sortableInstant refuses local times, numbers and impossible dates, naming the field", () => {
  for (
    const bad of [
      "0",
      "-1",
      "2026-12-01 08:00",
      "2026-12-01",
      "2026-12-01T08:00:00",
      "2026-02-30T00:00:00Z",
      "2025-02-29T00:00:00Z",
      "2026-12-01T24:00:00Z",
      "2026-12-01T08:60:00Z",
      "2026-13-01T00:00:00Z",
      "2026-12-01T08:00:00+25:00",
      0,
      null,
      new Date(Number.NaN),
    ]
  ) {
    assert.throws(
      () => sortableInstant("BfJob", "runAt", bad),
      (e: unknown) =>
        e instanceof BfValidationError && e.message.startsWith("BfJob.runAt:"),
      String(bad),
    );
  }
});
