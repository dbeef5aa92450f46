// The layout's arrows, checked: every non-test TypeScript file's imports are read (the
// `@bfmono/` alias resolved) and each one that points the wrong way is named with its file.
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(fileURLToPath(import.meta.url));

/** A rule: files under `from` may not import anything under one of `forbidden`. */
interface Rule {
  from: string;
  forbidden: string[];
  why: string;
}

const RULES: Rule[] = [
  {
    from: "packages/",
    forbidden: ["apps/", "infra/", "bench/", "chaos/"],
    why: "packages import no app",
  },
  {
    from: "apps/bfDb/",
    forbidden: ["apps/collector/", "infra/"],
    why: "bfDb knows nothing of the collector or of bft",
  },
  {
    from: "apps/collector/worker/",
    forbidden: [
      "apps/collector/handlers/",
      "apps/collector/process/",
      "apps/collector/ops/",
    ],
    why:
      "the engine knows nothing of the product's handlers, the process or operators",
  },
  {
    from: "apps/collector/handlers/",
    forbidden: ["apps/collector/process/", "apps/collector/ops/"],
    why: "handlers know the engine's contract, not the process around it",
  },
  {
    from: "apps/collector/web/",
    forbidden: ["apps/collector/process/", "apps/collector/handlers/"],
    why:
      "the web routes take the operator commands they run; the process mounts them",
  },
  {
    from: "apps/collector/ops/",
    forbidden: ["apps/collector/process/", "apps/collector/handlers/"],
    why: "operator commands take what they need as arguments",
  },
  {
    from: "apps/",
    forbidden: ["infra/", "bench/", "chaos/"],
    why: "apps know nothing of bft, the bench or the chaos suite",
  },
];

/** Folders whose files are tooling or test support, not production code. */
const NOT_PRODUCTION = ["bench/", "chaos/", ".bfdb/"];

function isTestSupport(path: string): boolean {
  return /\.test\.tsx?$/.test(path) || /(^|\/)(testing|testdata)\//.test(path);
}

async function* typescriptFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) {
        continue;
      }
      yield* typescriptFiles(path);
    } else if (/\.tsx?$/.test(path)) yield path;
  }
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;

/** The repo-relative paths `file` imports (npm:, node: and jsr: specifiers left out). */
function importsOf(file: string, source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const spec = match[1];
    if (spec.startsWith("@bfmono/")) {
      found.push(normalize(spec.slice("@bfmono/".length)));
    } else if (spec.startsWith(".")) {
      found.push(relative(ROOT, join(ROOT, dirname(file), spec)));
    }
  }
  return found;
}

/** Every import of a production file that breaks a rule, as "file -> import: why". */
async function violations(): Promise<string[]> {
  const broken: string[] = [];
  for await (const file of typescriptFiles("")) {
    if (isTestSupport(file) || NOT_PRODUCTION.some((d) => file.startsWith(d))) {
      continue;
    }
    const source = await Deno.readTextFile(join(ROOT, file));
    for (const target of importsOf(file, source)) {
      if (isTestSupport(target)) {
        broken.push(
          `${file} -> ${target}: production code imports a test helper`,
        );
      }
      for (const rule of RULES) {
        if (!file.startsWith(rule.from)) continue;
        if (rule.forbidden.some((f) => target.startsWith(f))) {
          broken.push(`${file} -> ${target}: ${rule.why}`);
        }
      }
    }
  }
  return broken;
}

Deno.test("import rules: every arrow of the layout points one way", async () => {
  assert.deepEqual(await violations(), []);
});

Deno.test("import rules: the checker sees the imports it checks", () => {
  const source = `import { a } from "@bfmono/apps/collector/process/main.ts";
    import type { B } from "../handlers/trackUsage.ts";
    const c = await import("./testing/waitFor.ts");
    import { z } from "zod";`;
  assert.deepEqual(importsOf("apps/collector/worker/worker.ts", source), [
    "apps/collector/process/main.ts",
    "apps/collector/handlers/trackUsage.ts",
    "apps/collector/worker/testing/waitFor.ts",
  ]);
});
