import assert from "node:assert/strict";
import { join } from "node:path";
import {
  runBft,
  startWorkerProcess,
} from "@bfmono/apps/collector/testing/workerProcess.ts";
import { waitFor } from "@bfmono/apps/bfDb/testing/waitFor.ts";

Deno.test({
  name:
    "embedded database: bft commands reach the live worker, then open the database once it stops",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "bfdb_embedded_" });
    const env = { BFDB_DATA_DIR: join(dir, "db") };
    try {
      await using worker = await startWorkerProcess({
        databaseUrl: "",
        env,
        name: "embedded",
      });
      assert.ok(
        worker.logs.some((l) =>
          l.msg === "database ready" && l.backend === "pglite"
        ),
        "the worker runs on PGlite when DATABASE_URL is unset",
      );

      const second = await runBft(["worker"], {
        ...env,
        HEALTH_CHECK_PORT: "0",
      });
      assert.equal(
        second.code,
        2,
        "a second worker on the same embedded database exits 2",
      );
      assert.match(second.stderr, /holds the embedded database/);

      const enqueued = await runBft(
        ["jobs", "enqueue", "process_new_record", '{"record_id":"missing"}'],
        env,
      );
      assert.equal(enqueued.code, 0, enqueued.stderr);
      const id = enqueued.stdout.trim();
      assert.match(id, /^[0-9a-f-]{36}$/);

      const bad = await runBft([
        "jobs",
        "enqueue",
        "process_new_record",
        '{"nope":1}',
      ], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /record_id/);

      await waitFor(
        async () => {
          const listed = await runBft([
            "jobs",
            "list",
            "--status",
            "failed",
            "--json",
          ], env);
          const jobs = JSON.parse(listed.stdout) as {
            id: string;
            error: string;
          }[];
          return jobs.some((j) => j.id === id && /not found/.test(j.error));
        },
        "the enqueued job to be dead-lettered by the worker",
        { intervalMs: 200 },
      );

      const migrated = await runBft(["db", "migrate"], env);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.equal(
        migrated.stdout.trim(),
        "database is up to date",
        "db migrate goes through the live worker, which migrated at start",
      );

      // The worker stored its schedule; its first slot is the next hour.
      const schedules = await runBft(["schedules", "list", "--json"], env);
      assert.equal(schedules.code, 0, schedules.stderr);
      const [cleanup] = JSON.parse(schedules.stdout) as {
        name: string;
        nextSlot: string;
      }[];
      assert.equal(cleanup.name, "cleanup-auth-tokens");
      assert.equal(Date.parse(cleanup.nextSlot) % 3_600_000, 0);

      worker.kill("SIGTERM");
      const exit = await worker.waitForExit();
      assert.equal(exit.code, 0);

      const direct = await runBft([
        "jobs",
        "list",
        "--status",
        "failed",
        "--json",
      ], env);
      assert.equal(direct.code, 0, direct.stderr);
      assert.ok(
        (JSON.parse(direct.stdout) as { id: string }[]).some((j) =>
          j.id === id
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "embedded database: bft db migrate honours BFDB_DATA_DIR and creates the database there",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "bfdb_migrate_" });
    const env = { BFDB_DATA_DIR: join(dir, "db") };
    try {
      const first = await runBft(["db", "migrate"], env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^applied migrations 1, /);
      assert.ok((await Deno.stat(join(dir, "db"))).isDirectory);
      const again = await runBft(["db", "migrate"], env);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout.trim(), "database is up to date");
      const bad = await runBft(["db", "migrate"], {
        DATABASE_URL: "mysql://nowhere/db",
      });
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /DATABASE_URL/);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
