import assert from "node:assert/strict";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { jobRow, TEST_CV } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { Heartbeat, type HeartbeatHost } from "./heartbeat.ts";

function host(
  overrides: Partial<HeartbeatHost> & Pick<HeartbeatHost, "heldIds">,
): HeartbeatHost & { renewed: Set<string>[]; errors: unknown[] } {
  const renewed: Set<string>[] = [];
  const errors: unknown[] = [];
  return {
    workerId: "w-heart",
    leaseMs: 60_000,
    onRenewed: (held) => {
      renewed.push(held);
    },
    onError: (_duty, error) => errors.push(error),
    onOk: () => {},
    dutyTimeoutMs: 10_000,
    renewed,
    errors,
    ...overrides,
  };
}

dbTest(
  "heartbeat: renews the leases it is told about and reports the ids still held",
  async () => {
    await BfJob.createMany(
      [1, 2, 3].map((n) => ({ type: "beat", payload: { n } })),
      TEST_CV,
    );
    const [a, b, c] = await BfJob.claimBatch("w-heart", {
      limit: 3,
      leaseMs: 1_000,
    });
    const before = await jobRow(a.id);
    const h = host({ heldIds: () => [a.id, b.id, "gone"] });
    await new Heartbeat(h).renewNow();
    assert.deepEqual(h.renewed.map((s) => [...s].sort()), [
      [a.id, b.id].sort(),
    ]);
    assert.ok((await jobRow(a.id)).lockedUntil! > before.lockedUntil!);
    assert.ok((await jobRow(b.id)).lockedUntil! > before.lockedUntil!);
    // A job it was not told about keeps its lease: the worker did not know it held it.
    assert.ok((await jobRow(c.id)).lockedUntil! <= before.lockedUntil!);
    assert.deepEqual(h.errors, []);
  },
);

dbTest(
  "heartbeat: calls made while a renewal runs join it instead of starting another",
  async () => {
    let asked = 0;
    const h = host({
      heldIds: () => {
        asked++;
        return ["none"];
      },
    });
    const heartbeat = new Heartbeat(h);
    await Promise.all([
      heartbeat.renewNow(),
      heartbeat.renewNow(),
      heartbeat.renewNow(),
    ]);
    assert.equal(asked, 1);
    await heartbeat.renewNow();
    assert.equal(asked, 2);
  },
);

dbTest("heartbeat: with nothing held it sends nothing", async () => {
  const h = host({ heldIds: () => [] });
  await new Heartbeat(h).renewNow();
  assert.deepEqual(h.renewed, []);
});
