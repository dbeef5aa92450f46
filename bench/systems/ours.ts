import { launcherRuntimeFlags } from "@bfmono/apps/collector/testing/workerProcess.ts";
import { benchPath, REPO_ROOT, type System } from "./system.ts";
import type { Spawn } from "../lib/proc.ts";

function denoScript(
  script: string,
  env: Record<string, string>,
  label: string,
  runtimeFlags: string[] = [],
): Spawn {
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      "-A",
      "--quiet",
      ...runtimeFlags,
      benchPath(`ours/${script}`),
    ],
    env,
    label,
    cwd: REPO_ROOT,
  };
}

/** This project: BfJob rows in bfdb, our collector worker in Deno (bench/ours). */
export const ours: System = {
  id: "ours",
  label: "bfmono jobs (ours)",
  historyNote:
    "ours: bfdb holds the depth in completed jobs (bfdb_jobs_completed) plus as many " +
    "nodes of another class (bfdb_nodes), our production shape.",
  configNote: (c) =>
    `ours: startWorker({ concurrency: ${c} }) from apps/collector/worker/worker.ts, its defaults ` +
    "otherwise; logger at warn; no HTTP server (the peers' bench workers serve none either); " +
    `run with the V8 flags infra/bin/bft gives \`bft worker\` (${
      launcherRuntimeFlags().join(" ")
    }).`,
  async unavailable() {
    const needed = [
      "apps/collector/worker/worker.ts",
      "apps/bfDb/nodeTypes/BfJob.ts",
    ];
    for (const rel of needed) {
      try {
        await Deno.stat(`${REPO_ROOT}${rel}`);
      } catch {
        return `${rel} does not exist yet`;
      }
    }
    return undefined;
  },
  setup: (env) => denoScript("setup.ts", env, "ours setup"),
  enqueue: (env) => denoScript("enqueue.ts", env, "ours enqueue"),
  worker: (env) =>
    denoScript("worker.ts", env, "ours worker", launcherRuntimeFlags()),
  saturate: (env) =>
    denoScript("saturate.ts", env, "ours saturate", launcherRuntimeFlags()),
  async remaining(sql) {
    // Every unfinished job is in bfdb_jobs_active, and only those are.
    const rows = await sql`SELECT count(*)::int AS n FROM bfdb_jobs_active`;
    return Number(rows[0].n);
  },
};
