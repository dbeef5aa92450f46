/**
 * `deno task chaos`: runs the fault-injection suite against real `bft worker` processes and a
 * private PostgreSQL cluster, prints the results table, writes chaos/results/latest.md and
 * latest.json, and exits 1 when any check failed.
 *
 * Usage: deno task chaos [--quick] [--only 3,4] [--keep-logs] [--no-write]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { renderMarkdown } from "./report.ts";
import { runSuite } from "./suite.ts";

const USAGE =
  `usage: deno task chaos [--quick] [--only N,M] [--keep-logs] [--no-write]

  --quick       shortened durations (what CI runs): a few minutes for all eight
  --only 3,4    run only these scenarios (1 crash, 2 repeated crashes, 3 PostgreSQL restart,
                4 backend kills, 5 connection exhaustion, 6 pinned xmin, 7 graceful stop, 8 saturation)
  --keep-logs   keep the worker logs even when everything passed (kept anyway on failure)
  --no-write    do not write chaos/results/latest.{md,json}`;

const RESULTS_DIR = new URL("./results/", import.meta.url).pathname;

/** Parses the arguments, runs the suite and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string" },
        "keep-logs": { type: "boolean", default: false },
        "no-write": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(
      `chaos: ${error instanceof Error ? error.message : error}\n${USAGE}`,
    );
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let only: number[] | undefined;
  if (values.only !== undefined) {
    only = values.only.split(",").map((s) => s.trim()).filter(Boolean).map(
      Number,
    );
    if (only.length === 0 || only.some((n) => !Number.isInteger(n))) {
      console.error(
        `chaos: --only takes scenario numbers like 3,4; got ${values.only}`,
      );
      return 2;
    }
  }
  let suite;
  try {
    suite = await runSuite({
      quick: values.quick,
      only,
      keepLogs: values["keep-logs"],
      log: (line) => console.log(line),
    });
  } catch (error) {
    console.error(
      `chaos: could not run: ${error instanceof Error ? error.message : error}`,
    );
    return 1;
  }
  console.log(`\n${suite.table}\n`);
  for (const line of suite.failures) console.log(`FAILED ${line}`);
  if (suite.meta.logDir) console.log(`worker logs: ${suite.meta.logDir}`);
  if (!values["no-write"]) {
    await Deno.mkdir(RESULTS_DIR, { recursive: true });
    const md = `${RESULTS_DIR}latest.md`;
    const json = `${RESULTS_DIR}latest.json`;
    // The committed report names no temporary path of this machine.
    await Deno.writeTextFile(
      md,
      renderMarkdown(suite.results, { ...suite.meta, logDir: null }),
    );
    await Deno.writeTextFile(
      json,
      `${
        JSON.stringify(
          { meta: suite.meta, ok: suite.ok, results: suite.results },
          null,
          2,
        )
      }\n`,
    );
    // Keep the committed results as `deno fmt --check` wants them.
    await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", md, json],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => {});
    console.log(`wrote ${md} and ${json}`);
  }
  const passed = suite.results.filter((r) => r.ok).length;
  console.log(
    `chaos: ${passed} passed, ${suite.results.length - passed} failed`,
  );
  return suite.ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
