import assert from "node:assert/strict";
import type { ReapOutcome } from "@bfmono/apps/bfDb/jobs/reapExpiredJobs.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import {
  jobRow,
  TEST_CV,
  waitForLeasesToExpire,
} from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { waitFor } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import { reaperDuty } from "./reaper.ts";

dbTest(
  "reaper: renews its own leases first, then reaps lapsed ones but its own unsettled jobs",
  async () => {
    await BfJob.createMany(
      [1, 2, 3].map((n) => ({ type: "reap", payload: { n } })),
      TEST_CV,
    );
    const [dead, unsettled, other] = await BfJob.claimBatch("w-dead", {
      limit: 3,
      leaseMs: 1,
    });
    await waitForLeasesToExpire([dead.id, unsettled.id, other.id]);
    const steps: string[] = [];
    const reaped: ReapOutcome[][] = [];
    const reaper = reaperDuty({
      leaseMs: 60_000,
      renewOwnLeases: () => {
        steps.push("renew");
        return Promise.resolve();
      },
      unsettledIds: () => [unsettled.id],
      onReaped: (outcomes) => {
        steps.push("reaped");
        reaped.push(outcomes);
      },
      onError: (_duty, error) => {
        throw error;
      },
      onOk: () => {},
      dutyTimeoutMs: 10_000,
    });
    reaper.start(0);
    await waitFor(() => reaped.length > 0, "the first pass");
    await reaper.stop();
    assert.deepEqual(steps.slice(0, 2), ["renew", "reaped"]);
    assert.deepEqual(
      reaped[0].map((r) => r.id).sort(),
      [dead.id, other.id].sort(),
    );
    assert.equal((await jobRow(dead.id)).status, "available");
    assert.equal((await jobRow(unsettled.id)).status, "claimed");
  },
);
