// `deno task bench`: issue 5's workloads for this project, graphile-worker and pg-boss on the
// same PostgreSQL server; writes bench/results/<stamp>.json, latest.json and latest.md.
import { parseOptions, USAGE } from "./lib/args.ts";
import { dropAllFreshDbs } from "./lib/db.ts";
import { killAllProcesses } from "./lib/proc.ts";
import { headlineFigures } from "./lib/headline.ts";
import { describeMachine } from "./lib/machine.ts";
import { reportNotes } from "./lib/notes.ts";
import { ensurePeersInstalled } from "./lib/peers.ts";
import { planFor } from "./lib/plan.ts";
import { renderMarkdown } from "./lib/report.ts";
import { writeResults } from "./lib/results.ts";
import { runAll } from "./lib/runner.ts";
import { summarizeRuns } from "./lib/summary.ts";
import { ALL_SYSTEMS } from "./systems/all.ts";
import type { System } from "./systems/system.ts";

/** Runs the bench per the command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const systems: System[] = [];
  const skipped: string[] = [];
  for (const id of options.systems) {
    const reason = await ALL_SYSTEMS[id].unavailable();
    if (reason) {
      skipped.push(`${ALL_SYSTEMS[id].label} (${reason})`);
      console.error(`skipping ${id}: ${reason}`);
    } else systems.push(ALL_SYSTEMS[id]);
  }
  if (systems.length === 0) {
    console.error("nothing to run");
    return 1;
  }
  if (systems.some((s) => s.id !== "ours")) await ensurePeersInstalled();
  const machine = await describeMachine();
  const started = new Date();
  const variants = planFor(options.only, options.pooler);
  const runs = await runAll(variants, systems, options.sizes, options.verbose);
  const table = summarizeRuns(runs);
  const headline = headlineFigures(table, systems);
  const date = started.toISOString().replace(/\.\d+Z$/, "Z");
  const markdown = renderMarkdown({
    date,
    machine,
    systems,
    table,
    reps: options.sizes.reps,
    quick: options.quick,
    depth: options.sizes.depth,
    headline,
    notes: reportNotes(options.sizes, systems, skipped, runs, machine.cores),
  });
  const raw = {
    date,
    finished: new Date().toISOString(),
    machine,
    options: {
      quick: options.quick,
      only: options.only,
      systems: options.systems,
      pooler: options.pooler,
    },
    sizes: options.sizes,
    systems: systems.map((s) => ({ id: s.id, label: s.label })),
    skipped,
    headline,
    summary: table,
    runs,
  };
  const stamp = date.replaceAll(":", "-") + (options.quick ? "-quick" : "");
  const paths = await writeResults(stamp, raw, markdown);
  console.log(markdown);
  console.error(`wrote ${paths.join(", ")}`);
  return runs.every((r) => r.ok) ? 0 : 1;
}

/** On Ctrl-C: kill the bench's child processes and drop its databases, then exit 130. */
function cleanUpOnInterrupt(): void {
  Deno.addSignalListener("SIGINT", async () => {
    console.error("interrupted: stopping workers and dropping bench databases");
    killAllProcesses();
    await dropAllFreshDbs();
    Deno.exit(130);
  });
}

if (import.meta.main) {
  cleanUpOnInterrupt();
  Deno.exit(await main(Deno.args));
}
