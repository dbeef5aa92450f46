// The state machine is the source of truth (issue 10): every job SQL operation declares the
// transitions it performs, and every status it names is a source or the target of one of them.
import assert from "node:assert/strict";
import {
  JOB_STATUSES,
  JOB_TRANSITIONS,
  type JobTransition,
} from "./jobStates.ts";

const HERE = new URL("./", import.meta.url);

/** The operation files of this folder: every non-test module that holds job SQL. */
async function operationFiles(): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(HERE)) {
    if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
    if (entry.name.endsWith(".test.ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, HERE));
    if (/\b(UPDATE|INSERT INTO|DELETE FROM|SELECT)\b/.test(text)) {
      files.push(entry.name);
    }
  }
  return files.sort();
}

/** Single-quoted words in a file's text that stand where a status would (`status … 'x'`). */
function statusLiterals(text: string): string[] {
  const found = new Set<string>();
  // status = 'x', status <> 'x', status IN ('x', 'y'), status: "'x'", CASE … THEN 'x' ELSE 'y'
  for (const m of text.matchAll(/status\s*(?:=|<>|:|IN)\s*[("\s]*([^)]*)/gi)) {
    for (const w of m[1].slice(0, 80).matchAll(/'([a-z_]+)'/g)) found.add(w[1]);
  }
  for (const m of text.matchAll(/THEN '([a-z_]+)' ELSE '([a-z_]+)'/g)) {
    found.add(m[1]);
    found.add(m[2]);
  }
  return [...found];
}

Deno.test("job states: every operation declares transitions that exist", async () => {
  for (const file of await operationFiles()) {
    const mod = await import(new URL(file, HERE).href);
    if (mod.performs === undefined) {
      // Helpers without SQL of their own transitions (columns, fencing) may go without.
      if (
        ["jobColumns.ts", "fencing.ts", "jobStates.ts", "backoff.ts"].includes(
          file,
        )
      ) {
        continue;
      }
      assert.fail(`${file} holds job SQL but declares no \`performs\``);
    }
    for (const t of mod.performs as string[]) {
      assert.ok(
        Object.hasOwn(JOB_TRANSITIONS, t),
        `${file}: unknown transition ${t}`,
      );
    }
  }
});

Deno.test("job states: every status literal in job SQL is a source or the target of the file's transitions", async () => {
  const all = new Set<string>(JOB_STATUSES);
  for (const file of await operationFiles()) {
    const mod = await import(new URL(file, HERE).href);
    const performs = (mod.performs ?? []) as JobTransition[];
    const text = await Deno.readTextFile(new URL(file, HERE));
    const named = statusLiterals(text);
    for (const status of named) {
      assert.ok(all.has(status), `${file}: '${status}' is not a job status`);
    }
    // Read-only operations (no transitions) may name any status; fenced statements name the
    // statuses a held job can be in, which are the sources of the transitions that follow.
    if (performs.length === 0) continue;
    const allowed = new Set<string>(
      performs.flatMap((
        t,
      ) => [...JOB_TRANSITIONS[t].from, JOB_TRANSITIONS[t].to]),
    );
    for (const status of named) {
      assert.ok(
        allowed.has(status),
        `${file}: '${status}' is neither a source nor the target of ${
          performs.join(", ")
        }`,
      );
    }
  }
});

Deno.test("job states: the checker finds the literals it checks", () => {
  assert.deepEqual(
    statusLiterals(
      `WHERE status = 'available' AND j.status IN ('claimed', 'running')
       SET status = CASE WHEN n THEN 'running' ELSE 'claimed' END, status: "'completed'"`,
    ).sort(),
    ["available", "claimed", "completed", "running"],
  );
});

Deno.test("job states: every status is reachable and every transition ends in a status", () => {
  const reached = new Set<string>(["available"]);
  for (const { from, to } of Object.values(JOB_TRANSITIONS)) {
    for (const f of from) assert.ok(JOB_STATUSES.includes(f));
    assert.ok(JOB_STATUSES.includes(to));
    reached.add(to);
  }
  assert.deepEqual([...reached].sort(), [...JOB_STATUSES].sort());
});
