/**
 * The chaos suite as a function: starts a private PostgreSQL cluster, runs the chosen
 * scenarios one after another, renders the report and always tears everything down (the
 * cluster, every worker process), also on SIGINT/SIGTERM.
 *
 * @example
 * ```ts
 * const suite = await runSuite({ quick: true });
 * console.log(suite.table);
 * if (!suite.ok) Deno.exit(1);
 * ```
 *
 * @module
 */
import postgres from "postgres";
import { PgCluster } from "./cluster.ts";
import { prepareCluster, runScenario, type ScenarioResult } from "./harness.ts";
import {
  renderFailures,
  renderMarkdown,
  renderTable,
  type RunMeta,
} from "./report.ts";
import { SCENARIOS } from "./scenarios/all.ts";
import { killAllWorkersSync } from "./workers.ts";

/** Connection failure codes of postgres.js, sockets and PostgreSQL (classes 08, 57P0x, 53300). */
const DRIVER_CODES =
  /^(CONNECTION_\w+|CONNECT_TIMEOUT|ECONN\w+|EPIPE|ETIMEDOUT|08\w{3}|57P0\d|57014|53300)$/;

/** Options for {@linkcode runSuite}. */
export interface SuiteOptions {
  /** Shortened durations (CI): a few minutes for all eight. */
  quick: boolean;
  /** Scenario numbers to run; all when absent. */
  only?: readonly number[];
  /** Keep worker logs even when everything passed. */
  keepLogs?: boolean;
  /** Progress lines; default none. */
  log?: (line: string) => void;
}

/** What a suite run produced. */
export interface SuiteResult {
  ok: boolean;
  results: ScenarioResult[];
  meta: RunMeta;
  /** The results table (Markdown). */
  table: string;
  /** The whole report (Markdown). */
  markdown: string;
  /** Failed checks, one line each. */
  failures: string[];
}

/** Runs the suite; see the module doc. Throws only when the cluster cannot be set up. */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const log = options.log ?? (() => {});
  const chosen = options.only?.length
    ? SCENARIOS.filter((s) => options.only!.includes(s.id))
    : [...SCENARIOS];
  const unknown = (options.only ?? []).filter((id) =>
    !SCENARIOS.some((s) => s.id === id)
  );
  if (unknown.length > 0) {
    throw new Error(
      `no scenario ${unknown.join(", ")}; they are 1-${SCENARIOS.length}`,
    );
  }
  const startedAt = new Date();
  const logDir = await Deno.makeTempDir({ prefix: "bfmono-chaos-logs-" });
  const controller = new AbortController();
  let cluster: PgCluster | undefined;
  let signals = 0;
  const onSignal = () => {
    signals++;
    log(
      signals === 1
        ? "signal: stopping the suite"
        : "second signal: exiting now",
    );
    if (signals === 1) controller.abort();
    else {
      killAllWorkersSync();
      cluster?.destroySync();
      Deno.exit(130);
    }
  };
  const onUnload = () => {
    killAllWorkersSync();
    cluster?.destroySync();
  };
  // The producer runs postgres.js in this process, which can drop a rejected promise when a
  // new connection is cut during its startup query; that must not end the suite.
  let driverRejections = 0;
  const onRejection = (event: PromiseRejectionEvent) => {
    const code = (event.reason as { code?: unknown } | null)?.code;
    if (typeof code !== "string" || !DRIVER_CODES.test(code)) return;
    driverRejections++;
    event.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  const listened: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const sig of listened) Deno.addSignalListener(sig, onSignal);
  globalThis.addEventListener("unload", onUnload);
  const results: ScenarioResult[] = [];
  let version = "PostgreSQL";
  try {
    cluster = await PgCluster.create({ maxConnections: 40, log });
    await prepareCluster(cluster);
    const sql = postgres(cluster.url(), { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`SHOW server_version`;
      version = `PostgreSQL ${row.server_version}`;
    } finally {
      await sql.end({ timeout: 5 });
    }
    log(
      `private cluster: ${version} on 127.0.0.1:${cluster.port}; logs in ${logDir}`,
    );
    for (const scenario of chosen) {
      if (controller.signal.aborted) break;
      log(`scenario ${scenario.id}: ${scenario.title}`);
      if (!cluster.running) await cluster.start();
      const result = await runScenario(scenario, {
        cluster,
        quick: options.quick,
        logDir,
        signal: controller.signal,
        log,
      });
      results.push(result);
      log(
        `scenario ${scenario.id}: ${result.ok ? "PASS" : "FAIL"} in ${
          Math.round(result.durationMs / 1000)
        } s`,
      );
    }
  } finally {
    killAllWorkersSync();
    await cluster?.destroy();
    for (const sig of listened) Deno.removeSignalListener(sig, onSignal);
    globalThis.removeEventListener("unload", onUnload);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  }
  const ok = results.length === chosen.length && results.every((r) => r.ok);
  const keepLogs = options.keepLogs || !ok;
  if (!keepLogs) await Deno.remove(logDir, { recursive: true }).catch(() => {});
  const meta: RunMeta = {
    startedAt: startedAt.toISOString(),
    quick: options.quick,
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    postgres: version,
    logDir: keepLogs ? logDir : null,
    driverRejections,
  };
  if (keepLogs) {
    // Beside the logs, the full results of this run (the CLI may not write chaos/results/).
    await Deno.writeTextFile(
      `${logDir}/results.json`,
      JSON.stringify({ meta, results }, null, 2),
    ).catch(() => {});
  }
  const failures = renderFailures(results);
  if (results.length < chosen.length) {
    failures.push(
      `only ${results.length} of ${chosen.length} scenario(s) ran (interrupted)`,
    );
  }
  return {
    ok,
    results,
    meta,
    table: renderTable(results),
    markdown: renderMarkdown(results, meta),
    failures,
  };
}
