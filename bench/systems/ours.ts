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
    "ours: the bfdb table holds the depth in completed BfJob rows plus as many " +
    "nodes of another class (our production shape).",
  configNote: (c) =>
    `ours: startWorker({ concurrency: ${c} }) from apps/collector/worker.ts, its defaults ` +
    "otherwise; logger at warn; no HTTP server (the peers' bench workers serve none either); " +
    `run with the V8 flags infra/bin/bft gives \`bft worker\` (${
      launcherRuntimeFlags().join(" ")
    }).`,
  async unavailable() {
    const needed = ["apps/collector/worker.ts", "apps/bfDb/nodeTypes/BfJob.ts"];
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
    // Two counts, each served by one of our partial indexes (available; claimed or running).
    const rows = await sql`
      SELECT (SELECT count(*) FROM bfdb
               WHERE class_name = 'BfJob' AND props->>'status' = 'available')
           + (SELECT count(*) FROM bfdb
               WHERE class_name = 'BfJob' AND props->>'status' IN ('claimed', 'running'))
             AS n`;
    return Number(rows[0].n);
  },
};
