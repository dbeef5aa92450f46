/**
 * The chaos suite's report: one table (scenario, enqueued, delivered, lost, extra deliveries,
 * not completed, time to recover, workers that exited on their own, result), then the failed
 * checks and notes of each scenario, as Markdown; and the whole run as JSON.
 *
 * @example
 * ```ts
 * console.log(renderTable(results));
 * await Deno.writeTextFile("latest.md", renderMarkdown(results, meta));
 * ```
 *
 * @module
 */
import type { ScenarioResult } from "./harness.ts";

/** Facts about the run shown above the table. */
export interface RunMeta {
  /** ISO time the run started. */
  startedAt: string;
  quick: boolean;
  /** Seconds the whole run took. */
  seconds: number;
  /** PostgreSQL version of the private cluster. */
  postgres: string;
  /** Where worker logs were kept (null when removed). */
  logDir: string | null;
  /** Database errors the suite's own postgres.js left unhandled (and the suite ignored). */
  driverRejections: number;
}

function duplicatesCell(r: ScenarioResult): string {
  if (r.extraDeliveries === 0) return "0";
  const kinds = new Set(
    r.duplicates.map((d) =>
      d.explainedBy === null
        ? "UNEXPLAINED"
        : d.explainedBy.includes("SIGKILL")
        ? "SIGKILLed worker"
        : "worker's connection cut"
    ),
  );
  const jobs = r.duplicates.length;
  return `${r.extraDeliveries} (${jobs} job${
    jobs === 1 ? "" : "s"
  }, re-run after: ${[...kinds].join(", ")})`;
}

function recoveryCell(r: ScenarioResult): string {
  const t = r.throughput;
  if (!t) return "n/a";
  const rec = t.recoverySeconds === null ? "never" : `${t.recoverySeconds} s`;
  return `${rec} (baseline ${t.baseline}/s, low ${t.lowest}/s)`;
}

function exitedCell(r: ScenarioResult): string {
  return r.exitedOnTheirOwn.length === 0
    ? "no"
    : `YES: ${r.exitedOnTheirOwn.join("; ")}`;
}

function cell(text: string | number): string {
  return String(text).replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The results table, as Markdown. */
export function renderTable(results: readonly ScenarioResult[]): string {
  const head = [
    "#",
    "scenario",
    "enqueued",
    "delivered",
    "lost",
    "extra deliveries",
    "not completed",
    "recovery to baseline",
    "worker exited on its own",
    "result",
  ];
  const lines = [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
  ];
  for (const r of results) {
    lines.push(
      `| ${
        [
          r.id,
          r.title,
          r.enqueued,
          r.delivered,
          r.lost,
          duplicatesCell(r),
          r.notCompleted,
          recoveryCell(r),
          exitedCell(r),
          r.ok ? "PASS" : "FAIL",
        ].map(cell).join(" | ")
      } |`,
    );
  }
  return lines.join("\n");
}

/** The failed checks of every scenario, one line each (empty when all passed). */
export function renderFailures(results: readonly ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    for (const c of r.checks.filter((c) => !c.ok)) {
      lines.push(
        `scenario ${r.id} (${r.key}): ${c.name}${
          c.detail ? `: ${c.detail}` : ""
        }`,
      );
    }
  }
  return lines;
}

/** The whole report, as Markdown. */
export function renderMarkdown(
  results: readonly ScenarioResult[],
  meta: RunMeta,
): string {
  const passed = results.filter((r) => r.ok).length;
  const out: string[] = [
    "# Chaos suite results",
    "",
    `${
      meta.quick ? "Quick" : "Full-length"
    } run of ${results.length} scenario(s), started ` +
    `${meta.startedAt}, ${
      Math.round(meta.seconds)
    } s in all, on a private ${meta.postgres} ` +
    `cluster: ${passed} passed, ${results.length - passed} failed.`,
    "",
    "Each scenario: two `bft worker` processes (`WORKER_CONCURRENCY=10`, `JOB_LEASE_MS=2000`, " +
    "`WORKER_POLL_INTERVAL_MS=500`), a producer enqueuing 50 `track_usage` jobs/s, and a fake " +
    "PostHog answering after 25 ms. Delivered counts distinct event uuids; lost = jobs whose uuid " +
    "never arrived; extra deliveries are allowed only for jobs whose worker was SIGKILLed or had " +
    "its database connection cut, and never beyond one per attempt (or uncharged return); recovery = seconds from the " +
    "fault's end to the first 1 s bucket at >= 80% of the baseline (median jobs/s before the " +
    "fault), 0 meaning at once.",
    "",
    renderTable(results),
    "",
  ];
  for (const r of results) {
    out.push(`## ${r.id}. ${r.title}: ${r.ok ? "PASS" : "FAIL"}`, "");
    const failed = r.checks.filter((c) => !c.ok);
    for (const c of failed) {
      out.push(`- FAILED: ${c.name}${c.detail ? `: ${c.detail}` : ""}`);
    }
    for (const note of r.notes) out.push(`- ${note}`);
    const p = r.producer;
    out.push(
      `- producer: ${p.ok} creates returned, ${p.failed} threw, ${p.timedOut} timed out` +
        (p.errors.length ? ` (e.g. "${p.errors[0]}")` : ""),
      `- final status counts (the ops query): ${
        JSON.stringify(r.statusCounts)
      }`,
      `- enqueue-to-completion latency: median ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ` +
        `worst ${r.latency.max} ms (${r.latency.slowest ?? "none"})`,
    );
    for (const d of r.duplicates.slice(0, 5)) {
      out.push(
        `- duplicate: ${d.id} delivered ${d.deliveries}x in ${d.attempts} attempt(s): ${
          d.explainedBy ?? "UNEXPLAINED"
        }`,
      );
    }
    const problems = new Map<string, number>();
    for (const w of r.workers) {
      for (const [msg, n] of Object.entries(w.problems)) {
        problems.set(msg, (problems.get(msg) ?? 0) + n);
      }
    }
    if (problems.size > 0) {
      out.push(
        `- worker warnings/errors: ${
          [...problems].map(([msg, n]) => `"${msg}" x${n}`).join(", ")
        }`,
      );
    }
    out.push(
      `- timeline (s from the producer's start): ${
        r.timeline.map((e) => `${e.t} ${e.what}`).join("; ")
      }`,
      "",
    );
  }
  if (meta.driverRejections > 0) {
    out.push(
      `The producer's postgres.js dropped ${meta.driverRejections} connection error(s) as ` +
        "unhandled rejections; the suite ignored them.",
      "",
    );
  }
  if (meta.logDir) out.push(`Worker logs: \`${meta.logDir}\``, "");
  return out.join("\n");
}
