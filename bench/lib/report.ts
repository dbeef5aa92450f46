import { FIGURES } from "./figures.ts";
import { DEPTH_TARGET, type Headline, ownDepthRatio } from "./headline.ts";
import type { Machine } from "./machine.ts";
import type { Summary } from "./stats.ts";
import type { SummaryTable } from "./summary.ts";
import type { System } from "../systems/system.ts";

function fmt(x: number, digits: number): string {
  return x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function cell(s: Summary | undefined, digits: number): string {
  if (!s) return "–";
  const median = fmt(s.median, digits);
  if (s.n === 1) return median;
  return `${median} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

function ratio(ours: Summary | undefined, peer: Summary | undefined): string {
  if (!ours || !peer || peer.median === 0) return "–";
  return `${(ours.median / peer.median).toFixed(2)}×`;
}

/** The W4 ÷ W1 row: each system's drain at depth over its own W1 drain. */
function depthRow(
  table: SummaryTable,
  peers: readonly System[],
  hasOurs: boolean,
): string {
  const own = (id: string) => {
    const r = ownDepthRatio(table, id);
    return r === undefined ? "–" : `${r.toFixed(2)}×`;
  };
  const row = [
    `W4 ÷ own W1 (1.00 = flat with depth; target for ours ≥ ${
      DEPTH_TARGET.toFixed(2)
    }×), higher is better`,
  ];
  if (hasOurs) row.push(own("ours"));
  for (const p of peers) {
    row.push(own(p.id));
    if (hasOurs) row.push("");
  }
  return `| ${row.join(" | ")} |`;
}

/** Input of the markdown report. */
export interface ReportInput {
  date: string;
  machine: Machine;
  systems: readonly System[];
  table: SummaryTable;
  reps: number;
  quick: boolean;
  depth: number;
  headline: Headline;
  notes: string[];
}

/** The figures in one paragraph: W4 ÷ own W1 against its target, WAL per job. */
function headlineText(h: Headline, systems: readonly System[]): string[] {
  const label = (id: string) =>
    id === "ours"
      ? "ours"
      : systems.find((s) => s.id === id)?.label.split(" ")[0] ?? id;
  const parts: string[] = [];
  const ours = h.depthOverW1.bySystem.ours;
  if (ours !== undefined) {
    const met = h.depthOverW1.oursMeetsTarget ? "met" : "NOT met";
    parts.push(
      `ours W4 ÷ own W1 = ${ours.toFixed(2)}× (target ≥ ${
        h.depthOverW1.target.toFixed(2)
      }×: ${met}).`,
    );
  }
  const wal = Object.entries(h.walBytesPerJobW1.bySystem).map(([id, b]) => {
    const r = h.walBytesPerJobW1.oursOverPeer[id];
    const vs = r === undefined ? "" : ` (ours ÷ ${label(id)} ${r.toFixed(2)}×)`;
    return `${label(id)} ${fmt(b, 0)}${vs}`;
  });
  if (wal.length > 0) {
    parts.push(`W1 WAL per job drained (bytes): ${wal.join(", ")}.`);
  }
  return parts.length > 0 ? [`Headline: ${parts.join(" ")}`, ""] : [];
}

/** The results as one markdown table: ours beside each peer, with ours ÷ peer per figure. */
export function renderMarkdown(input: ReportInput): string {
  const { table, systems } = input;
  const hasOurs = systems.some((s) => s.id === "ours");
  const peers = systems.filter((s) => s.id !== "ours");
  const head = ["Figure", ...(hasOurs ? ["ours"] : [])];
  for (const p of peers) {
    head.push(p.label, ...(hasOurs ? [`ours ÷ ${p.label.split(" ")[0]}`] : []));
  }
  const m = input.machine;
  const sizes = input.quick ? " · **--quick sizes**" : "";
  const lines = [
    `# Benchmark: bfmono jobs vs graphile-worker and pg-boss`,
    "",
    `Date: ${input.date} · Machine: ${m.cores} cores (${m.cpu}), PostgreSQL ${m.postgres}, ` +
    `Node ${m.node}, Deno ${m.deno} · ${input.reps} repetition(s)${sizes}`,
    "",
    "Cells: median (min–max) over repetitions. Ratio = ours ÷ peer on the medians: for jobs/s " +
    "above 1 means ours is faster; for latency (ms) and memory (MB), lower is better, so below " +
    "1 means ours is better.",
    "",
    ...headlineText(input.headline, systems),
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
  ];
  for (const f of FIGURES) {
    if (!table[f.variant]) continue;
    const row = [`${f.label}, ${f.better} is better`];
    const o = table[f.variant]?.ours?.[f.metric];
    if (hasOurs) row.push(cell(o, f.digits));
    for (const p of peers) {
      const s = table[f.variant]?.[p.id]?.[f.metric];
      row.push(cell(s, f.digits));
      if (hasOurs) row.push(ratio(o, s));
    }
    lines.push(`| ${row.join(" | ")} |`);
  }
  if (table.W4 && table.W1) lines.push(depthRow(table, peers, hasOurs));
  lines.push("", "Notes:", "");
  for (const note of input.notes) lines.push(`- ${note}`);
  return lines.join("\n") + "\n";
}
