// The connection budget: 20 real `bft worker` processes at WORKER_CONCURRENCY 50 and an
// application (a producer with a pool of 10, and 5 more connections it holds) share a private
// server with max_connections = 100. Every job completes, no one is refused a connection, and
// pg_stat_activity shows each worker holding at most its pool (DATABASE_POOL_SIZE) plus one
// LISTEN connection, whatever its concurrency.
import assert from "node:assert/strict";
import postgres from "postgres";
import { PgCluster } from "../../../chaos/cluster.ts";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { PostgresBackend } from "@bfmono/apps/bfDb/storage/PostgresBackend.ts";
import { waitFor } from "@bfmono/apps/bfDb/testing/waitFor.ts";
import { DEFAULT_DATABASE_POOL_SIZE } from "./config.ts";
import { FakePostHog } from "../testing/fakePostHog.ts";
import {
  startWorkerProcess,
  type WorkerProcess,
} from "../testing/workerProcess.ts";

const WORKERS = 20;
const CONCURRENCY = 50;
const JOBS = 2_000;
const APP_POOL = 10;
const APP_HELD = 5;

Deno.test({
  name:
    `${WORKERS} worker processes and an application share max_connections = 100`,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cluster = await PgCluster.create({ maxConnections: 100 });
    const workers: WorkerProcess[] = [];
    const held: postgres.Sql[] = [];
    let producer: PostgresBackend | undefined;
    let observer: postgres.Sql | undefined;
    // Each capture takes a moment, so a worker has many jobs in flight at once.
    await using posthog = new FakePostHog({ delayMs: 20 });
    try {
      const url = cluster.url();
      const setup = new PostgresBackend(url, { maxConnections: 1 });
      await migrate(setup);
      await setup.close();
      observer = postgres(url, { max: 1, onnotice: () => {} });

      const env = {
        WORKER_CONCURRENCY: String(CONCURRENCY),
        POSTHOG_HOST: posthog.host,
        POSTHOG_API_KEY: "test",
        LOG_LEVEL: "warn",
      };
      // A few at a time: twenty Deno processes starting at once only starve each other.
      for (let i = 0; i < WORKERS; i += 5) {
        workers.push(
          ...await Promise.all(
            Array.from({ length: 5 }, (_, k) =>
              startWorkerProcess({
                databaseUrl: url,
                env,
                name: `worker ${i + k + 1}`,
                waitUntilReady: false,
              })),
          ),
        );
      }
      const sql = observer;
      await waitFor(
        async () => {
          const [{ n }] =
            await sql`SELECT count(*)::int AS n FROM bfdb_workers`;
          return Number(n) === WORKERS;
        },
        `${WORKERS} workers to register`,
        {
          detail: () => workers.map((w) => w.tail(3)).join("\n"),
        },
      );
      const workerIds = (await sql<{ worker_id: string }[]>`
        SELECT worker_id FROM bfdb_workers`).map((r) => r.worker_id);

      // The application: a producer with a pool of its own, and connections it keeps open.
      for (let i = 0; i < APP_HELD; i++) {
        const client = postgres(url, {
          max: 1,
          onnotice: () => {},
          connection: { application_name: "app held" },
        });
        await client`SELECT 1`;
        held.push(client);
      }
      producer = new PostgresBackend(url, {
        maxConnections: APP_POOL,
        applicationName: "app producer",
      });
      bfDb.use(producer);

      // Watch pg_stat_activity while the jobs go through: the most each holder had at once.
      const peak = new Map<string, number>();
      let peakTotal = 0;
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const rows = await sql<{ name: string; n: number }[]>`
            SELECT application_name AS name, count(*)::int AS n FROM pg_stat_activity
             WHERE backend_type = 'client backend' GROUP BY 1`;
          let total = 0;
          for (const { name, n } of rows) {
            total += n;
            peak.set(name, Math.max(peak.get(name) ?? 0, n));
          }
          peakTotal = Math.max(peakTotal, total);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();

      const cv = CurrentViewer.forOrg("org_budget", "person_producer");
      // Ten producers at once, so the application's pool is in use while the workers drain.
      await Promise.all(Array.from({ length: 10 }, async (_, p) => {
        for (let b = 0; b < JOBS / 10 / 50; b++) {
          await BfJob.createMany(
            Array.from({ length: 50 }, (_, i) => ({
              type: "track_usage",
              payload: {
                event: { event: "budget", distinctId: `p${p}_${b}_${i}` },
              },
            })),
            cv,
          );
        }
      }));
      await waitFor(async () => {
        const [{ n }] = await sql`
          SELECT count(*)::int AS n FROM bfdb_jobs_completed
           WHERE bf_oid = ${cv.orgId}`;
        return Number(n) === JOBS;
      }, `${JOBS} jobs to complete`);
      watching = false;
      await watch;

      assert.equal(posthog.distinct, JOBS);
      for (const w of workers) {
        const refused = w.stderr.split("\n").concat(
          w.logs.map((l) => JSON.stringify(l)),
        ).filter((l) =>
          /too many clients|remaining connection slots|database call failed/i
            .test(l)
        );
        assert.deepEqual(refused, [], w.name);
      }
      const budget = Object.fromEntries(workerIds.map((id) => [id, {
        pool: peak.get(`bft ${id}`) ?? 0,
        listen: peak.get(`bft ${id} listen`) ?? 0,
      }]));
      for (const [id, { pool, listen }] of Object.entries(budget)) {
        assert.ok(
          pool >= 1 && pool <= DEFAULT_DATABASE_POOL_SIZE,
          `${id}: ${pool} pool connections at most`,
        );
        assert.equal(listen, 1, `${id}: one LISTEN connection`);
      }
      assert.ok(
        peakTotal <= cluster.maxConnections,
        `at most ${peakTotal} connections at once`,
      );
      // What the README states, as measured here.
      console.log(
        `peak connections: ${peakTotal} of ${cluster.maxConnections}; per worker (pool, listen): ${
          JSON.stringify(
            Object.values(budget).map(({ pool, listen }) => [pool, listen]),
          )
        }; application: ${peak.get("app producer") ?? 0} + ${
          peak.get("app held") ?? 0
        }`,
      );

      for (const w of workers) w.kill("SIGTERM");
      for (const w of workers) {
        assert.equal((await w.waitForExit()).code, 0, w.tail());
      }
    } finally {
      for (const w of workers) await w[Symbol.asyncDispose]();
      await Promise.all(held.map((c) => c.end({ timeout: 1 })));
      if (producer) {
        if (bfDb.isReady && bfDb.backend === producer) await bfDb.close();
        else await producer.close();
      }
      await observer?.end({ timeout: 1 });
      await cluster.destroy();
    }
  },
});
