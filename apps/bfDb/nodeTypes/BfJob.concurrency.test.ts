// One owner: 8 claimer processes, each on its own connection, drain 2,000 jobs at once and
// every job is claimed exactly once. Also the same race in one process over a pool.
import assert from "node:assert/strict";
import { bfDb } from "../bfDb.ts";
import { dbTest } from "../testing/testDatabase.ts";
import { BfJob } from "./BfJob.ts";
import { countJobs, TEST_CV } from "../testing/jobRows.ts";

const WORKER_SCRIPT = new URL("./testdata/claimWorker.ts", import.meta.url);
const CLAIMERS = 8;
const JOBS = 2_000;

interface WorkerReport {
  workerId: string;
  pids: number[];
  claimed: { id: string; attempt: number }[];
  refused: string[];
}

/** Reads a child's stdout as JSON lines. */
async function* jsonLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<Record<string, unknown>> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line);
    }
  }
}

/** Asserts the database agrees: every job completed after exactly one attempt. */
async function assertAllCompletedOnce(): Promise<void> {
  const rows = await bfDb.query<
    { status: string; attempts: string; n: number }
  >(
    `SELECT props->>'status' AS status, props->>'attempts' AS attempts, count(*)::int AS n
     FROM bfdb WHERE class_name = 'BfJob' GROUP BY 1, 2`,
  );
  assert.deepEqual(
    rows.map((row) => ({ ...row, n: Number(row.n) })),
    [{ status: "completed", attempts: "1", n: JOBS }],
  );
}

dbTest(
  "8 claimer processes on their own connections drain 2,000 jobs: each claimed exactly once",
  async ({ url }) => {
    const created = await BfJob.createMany(
      Array.from({ length: JOBS }, (_, i) => ({
        type: i % 3 === 0 ? "a" : "b",
        payload: { i },
        priority: i % 5,
      })),
      TEST_CV,
    );
    const children = Array.from({ length: CLAIMERS }, (_, i) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          WORKER_SCRIPT.pathname,
          url,
          `claimer-${i}`,
          String(5 + i * 3), // batch sizes 5..26, so batches interleave unevenly
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      return { child, lines: jsonLines(child.stdout) };
    });
    try {
      // Everyone connects first, then all start together.
      const readyPids: number[] = [];
      for (const { lines } of children) {
        const { value } = await lines.next();
        assert.equal(value?.ready, true);
        readyPids.push(value!.pid as number);
      }
      assert.equal(new Set(readyPids).size, CLAIMERS, "one connection each");
      const go = new TextEncoder().encode("go\n");
      await Promise.all(children.map(async ({ child }) => {
        const writer = child.stdin.getWriter();
        await writer.write(go);
        await writer.close();
      }));
      const reports: WorkerReport[] = [];
      for (const { lines } of children) {
        const { value } = await lines.next();
        reports.push(value as unknown as WorkerReport);
      }
      const statuses = await Promise.all(
        children.map(({ child }) => child.status),
      );
      assert.deepEqual(statuses.map((s) => s.code), Array(CLAIMERS).fill(0));

      // Each claimer stayed on its one connection, and no two shared one.
      for (const [i, report] of reports.entries()) {
        assert.deepEqual(report.pids, [readyPids[i]], report.workerId);
      }
      const allClaims = reports.flatMap((report) => report.claimed);
      const claimedIds = allClaims.map((claim) => claim.id);
      assert.equal(claimedIds.length, JOBS, "no job claimed twice");
      assert.deepEqual(
        new Set(claimedIds),
        new Set(created.map((job) => job.id)),
        "every job claimed",
      );
      assert.ok(allClaims.every((claim) => claim.attempt === 1));
      assert.deepEqual(reports.flatMap((report) => report.refused), []);
      const busy = reports.filter((report) => report.claimed.length > 0);
      assert.ok(busy.length >= 2, "the claimers really raced");

      await assertAllCompletedOnce();
      // The database agrees with each worker about who completed what.
      const byWorker = await bfDb.query<{ worker: string; n: number }>(
        `SELECT props->>'workerId' AS worker, count(*)::int AS n FROM bfdb
       WHERE class_name = 'BfJob' GROUP BY 1 ORDER BY 1`,
      );
      assert.deepEqual(
        Object.fromEntries(byWorker.map((row) => [row.worker, Number(row.n)])),
        Object.fromEntries(
          busy.map((report) => [report.workerId, report.claimed.length]),
        ),
      );
    } finally {
      for (const { child } of children) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already exited
        }
      }
    }
  },
);

dbTest(
  "8 claimers racing over one pool of 8 connections: each job claimed exactly once",
  async ({ url }) => {
    // Claimers in this process, on a pool big enough that their statements run on different
    // connections at the same time (checked by recording backend pids while they race).
    const { PostgresBackend } = await import("../storage/PostgresBackend.ts");
    const original = bfDb.backend;
    const pool = new PostgresBackend(url, { maxConnections: CLAIMERS });
    bfDb.use(pool);
    try {
      await BfJob.createMany(
        Array.from({ length: JOBS }, (_, i) => ({ type: "t", payload: { i } })),
        TEST_CV,
      );
      const pids = new Set<number>();
      const claims = await Promise.all(
        Array.from({ length: CLAIMERS }, async (_, w) => {
          const workerId = `pool-claimer-${w}`;
          const mine: string[] = [];
          while (true) {
            const [{ pid }] = await bfDb.query<{ pid: number }>(
              "SELECT pg_backend_pid() AS pid",
            );
            pids.add(pid);
            const jobs = await BfJob.claimBatch(workerId, { limit: 7 });
            if (jobs.length === 0) return mine;
            mine.push(...jobs.map((job) => job.id));
            const done = await BfJob.completeMany(
              workerId,
              jobs.map((job) => job.held),
            );
            assert.equal(done.length, jobs.length);
          }
        }),
      );
      const all = claims.flat();
      assert.equal(all.length, JOBS);
      assert.equal(new Set(all).size, JOBS);
      assert.ok(pids.size > 1, "statements ran on several connections");
      assert.equal(await countJobs("available"), 0);
      await assertAllCompletedOnce();
    } finally {
      bfDb.use(original);
      await pool.close();
    }
  },
);
