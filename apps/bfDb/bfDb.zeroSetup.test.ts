// Zero-setup producers (issue 16): a process that never calls bfDb.use opens the environment's
// database on first use, migrated, and exits once its idle connections close; on the embedded
// database a second process is refused with a clear error while another holds it.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { PostgresBackend } from "./storage/PostgresBackend.ts";
import { PgliteBackend } from "./storage/PgliteBackend.ts";
import { createEmptyDatabase, dropDatabase } from "./testing/testDatabase.ts";

const PRODUCER = fileURLToPath(
  new URL("./testdata/zeroSetupProducer.ts", import.meta.url),
);

async function runProducer(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PRODUCER, ...args],
    env: { ...env, NO_COLOR: "1" },
    clearEnv: false,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: output.code,
    stdout: decode(output.stdout).trim(),
    stderr: decode(output.stderr),
  };
}

Deno.test({
  name:
    "a producer with no setup enqueues on DATABASE_URL's database, migrating it first",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { name, url } = await createEmptyDatabase();
    try {
      const run = await runProducer({ DATABASE_URL: url });
      assert.equal(run.code, 0, run.stderr);
      const backend = new PostgresBackend(url);
      try {
        const rows = await backend.query<{ org: string; status: string }>(
          `SELECT bf_oid AS org, props->>'status' AS status FROM bfdb
           WHERE bf_gid = $1 AND class_name = 'BfJob'`,
          [run.stdout],
        );
        assert.deepEqual(rows.map((r) => ({ ...r })), [
          { org: "org_producer", status: "available" },
        ]);
      } finally {
        await backend.close();
      }
    } finally {
      await dropDatabase(name);
    }
  },
});

Deno.test({
  name:
    "a producer with no setup uses the embedded database, and is refused while another process holds it",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "bfdb_zero_setup_" });
    const dataDir = `${dir}/data`;
    try {
      const run = await runProducer({
        BFDB_DATA_DIR: dataDir,
        DATABASE_URL: "",
      }, [
        "--close",
      ]);
      assert.equal(run.code, 0, run.stderr);
      const held = await PgliteBackend.open(dataDir);
      try {
        const rows = await held.query<{ status: string }>(
          "SELECT props->>'status' AS status FROM bfdb WHERE bf_gid = $1",
          [run.stdout],
        );
        assert.deepEqual(rows.map((r) => r.status), ["available"]);
        const refused = await runProducer(
          { BFDB_DATA_DIR: dataDir, DATABASE_URL: "" },
          ["--close"],
        );
        assert.notEqual(refused.code, 0);
        assert.match(refused.stderr, /is open in another process/);
      } finally {
        await held.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
