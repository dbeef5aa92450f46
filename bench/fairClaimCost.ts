// What a fair claim costs (issue 14): claims of 10 from a queue with fairByOrg on, against
// backlogs of 1, 100 and 10,000 orgs, and 100 orgs at 10,000 to 1,000,000 waiting jobs, beside
// the same queue's claim with fairness off (a managed claim in priority-then-age order) and the
// plain claim of a queue without settings. Run alone: `deno run -A bench/fairClaimCost.ts`.
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { migrate } from "@bfmono/apps/bfDb/migrate.ts";
import { PostgresBackend } from "@bfmono/apps/bfDb/storage/PostgresBackend.ts";
import {
  claimManagedQueue,
  setQueueSettings,
} from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import { claimJobs } from "@bfmono/apps/bfDb/jobs/claimJobs.ts";
import { createFreshDb } from "./lib/db.ts";

const CLAIMS = 300;
const BATCH = 10;

/** Fills queue `q` with `jobs` waiting jobs spread evenly over `orgs` orgs, in one statement. */
async function fill(q: string, jobs: number, orgs: number): Promise<void> {
  await bfDb.query("TRUNCATE bfdb_jobs_active");
  await bfDb.query("DELETE FROM bfdb_job_queues");
  await bfDb.query(
    `INSERT INTO bfdb_jobs_active (bf_gid, bf_oid, bf_cid, type, queue, status, payload,
                                   sort_value, run_at)
     SELECT 'job_' || g, 'org_' || lpad((g % $3)::text, 6, '0'), 'bench', 'work', $1,
            'available', '{}', g, now() - interval '1 hour' + g * interval '1 microsecond'
     FROM generate_series(1, $2::int) g`,
    [q, jobs, orgs],
  );
  await bfDb.query("VACUUM ANALYZE bfdb_jobs_active");
}

function quantile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function time(claim: () => Promise<number>): Promise<string> {
  const ms: number[] = [];
  let got = 0;
  for (let i = 0; i < CLAIMS; i++) {
    const start = performance.now();
    got += await claim();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return `median ${quantile(ms, 0.5).toFixed(2)} ms, p95 ${
    quantile(ms, 0.95).toFixed(2)
  } ms (${(got / CLAIMS).toFixed(1)} jobs per claim)`;
}

const db = await createFreshDb("fairclaim");
const backend = new PostgresBackend(db.url, { maxConnections: 2 });
try {
  await migrate(backend);
  bfDb.use(backend);
  const scenarios: [number, number][] = [
    [100_000, 1],
    [100_000, 100],
    [100_000, 10_000],
    [10_000, 100],
    [1_000_000, 100],
  ];
  console.log(
    `claims of ${BATCH}, ${CLAIMS} in a row, each row measured on a fresh backlog`,
  );
  for (const [jobs, orgs] of scenarios) {
    const label = `${jobs.toLocaleString("en")} waiting, ${
      orgs.toLocaleString("en")
    } orgs`;
    await fill("q", jobs, orgs);
    await setQueueSettings("q", { fairByOrg: true });
    const fair = await time(async () =>
      (await claimManagedQueue("w", "q", ["work"], {
        limit: BATCH,
        fair: true,
      })).rows.length
    );
    console.log(`${label}: fair ${fair}`);
    await fill("q", jobs, orgs);
    await setQueueSettings("q", { globalConcurrency: 1_000_000 });
    const managed = await time(async () =>
      (await claimManagedQueue("w", "q", ["work"], { limit: BATCH })).rows
        .length
    );
    console.log(`${label}: fairness off (managed) ${managed}`);
    await fill("q", jobs, orgs);
    const plain = await time(async () =>
      (await claimJobs("w", {
        queues: ["q"],
        types: ["work"],
        limit: BATCH,
        start: true,
      })).length
    );
    console.log(`${label}: no settings (plain claim) ${plain}`);
  }
} finally {
  await bfDb.close();
  await db.drop();
}
