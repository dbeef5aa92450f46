import assert from "node:assert/strict";
import { account, type JobRow, latency } from "./reconcile.ts";

function row(id: string, over: Partial<JobRow> = {}): JobRow {
  return {
    id,
    type: "track_usage",
    status: "completed",
    attempts: 1,
    workerId: "w1",
    errors: [],
    createdAt: 0,
    finishedAt: 100,
    ...over,
  };
}

function received(counts: Record<string, number>) {
  const map = new Map(Object.entries(counts));
  return { count: (u: string) => map.get(u) ?? 0, uuids: () => map.keys() };
}

const reaped = (worker: string, at: string) => ({
  attempt: 1,
  error: `lease expired: worker ${worker} stopped renewing it during attempt 1`,
  at,
});

Deno.test("lost, not completed and unknown uuids are counted", () => {
  const a = account(
    [
      row("j1"),
      row("j2", { status: "available", finishedAt: null }),
      row("c", {
        type: "cleanup_auth_tokens",
        status: "failed",
      }),
    ],
    received({ j1: 1, stray: 1 }),
    { killedWorkerIds: new Set(), connectionFaults: [] },
  );
  assert.equal(a.enqueued, 2);
  assert.equal(a.delivered, 1);
  assert.deepEqual(a.lost, ["j2"]);
  assert.deepEqual(a.notCompleted.map((r) => r.id), ["j2", "c"]);
  assert.equal(a.unknownUuids, 1);
});

Deno.test("a duplicate is explained by a SIGKILLed worker or a connection fault only", () => {
  const fault = {
    start: Date.parse("2026-01-01T00:00:10Z"),
    end: Date.parse("2026-01-01T00:00:20Z"),
    what: "restart",
  };
  const a = account(
    [
      row("killed", {
        attempts: 2,
        errors: [reaped("wk", "2026-01-01T00:00:05.000Z")],
      }),
      row("cut", {
        attempts: 2,
        errors: [reaped("w1", "2026-01-01T00:00:25.000Z")],
      }),
      row("late", {
        attempts: 2,
        errors: [reaped("w1", "2026-01-01T00:01:00.000Z")],
      }),
      row("same-attempt", { attempts: 1 }),
      row("more-than-claims", {
        attempts: 2,
        errors: [reaped("wk", "2026-01-01T00:00:05.000Z")],
      }),
      row("uncharged-return", {
        attempts: 1,
        errors: [{
          ...reaped("wk", "2026-01-01T00:00:05.000Z"),
          uncharged: true,
        }],
      }),
    ],
    received({
      killed: 2,
      cut: 2,
      late: 2,
      "same-attempt": 2,
      "more-than-claims": 3,
      "uncharged-return": 2,
    }),
    {
      killedWorkerIds: new Set(["wk"]),
      connectionFaults: [fault],
      marginMs: 15_000,
    },
  );
  const why = Object.fromEntries(
    a.duplicates.map((d) => [d.id, d.explainedBy]),
  );
  assert.match(why.killed!, /SIGKILLed/);
  assert.match(why.cut!, /connection was cut \(restart\)/);
  assert.equal(why.late, null);
  assert.equal(why["same-attempt"], null);
  assert.equal(why["more-than-claims"], null);
  assert.match(why["uncharged-return"]!, /SIGKILLed/);
  assert.equal(a.extraDeliveries, 1 + 1 + 1 + 1 + 2 + 1);
});

Deno.test("latency quantiles of finished jobs", () => {
  const rows = Array.from(
    { length: 100 },
    (_, i) => row(`j${i}`, { finishedAt: i + 1 }),
  );
  rows.push(row("open", { finishedAt: null }));
  const l = latency(rows);
  assert.equal(l.p50, 51);
  assert.equal(l.p99, 100);
  assert.equal(l.max, 100);
  assert.equal(l.slowest, "j99");
});
