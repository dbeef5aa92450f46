// Operator enqueue, as the worker's /ops routes run it: an absent org means the system org, an
// empty or malformed one is refused with the field named, and nothing is written.
import assert from "node:assert/strict";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { countJobs } from "../../bfDb/testing/jobRows.ts";
import { KNOWN_JOB_TYPES } from "../handlers/knownJobTypes.ts";
import { localOperatorCommands, OperatorError } from "./operatorCommands.ts";

dbTest(
  "operator enqueue: an empty or NUL org id is an error, not the system org",
  async () => {
    const ops = localOperatorCommands(KNOWN_JOB_TYPES);
    for (const orgId of ["", "a\u0000b"]) {
      await assert.rejects(
        ops.enqueue({ type: "cleanup_auth_tokens", payload: {}, orgId }),
        (e: unknown) =>
          e instanceof OperatorError && /^orgId: /.test(e.message),
      );
    }
    assert.equal(await countJobs(), 0);
    const { id } = await ops.enqueue({
      type: "cleanup_auth_tokens",
      payload: {},
    });
    assert.equal(typeof id, "string");
    assert.equal(await countJobs(), 1);
  },
);
