import { benchPath } from "../systems/system.ts";

/** Where results go: bench/results/. */
export const RESULTS_DIR = benchPath("results");

/**
 * Writes the raw results as bench/results/<stamp>.json and latest.json, and the markdown table
 * as latest.md; returns the paths written.
 */
export async function writeResults(
  stamp: string,
  raw: unknown,
  markdown: string,
): Promise<string[]> {
  await Deno.mkdir(RESULTS_DIR, { recursive: true });
  const json = JSON.stringify(raw, null, 2) + "\n";
  const paths = [
    `${RESULTS_DIR}/${stamp}.json`,
    `${RESULTS_DIR}/latest.json`,
    `${RESULTS_DIR}/latest.md`,
  ];
  for (
    const [path, text] of [[paths[0], json], [paths[1], json], [
      paths[2],
      markdown,
    ]]
  ) {
    await Deno.writeTextFile(`${path}.tmp`, text);
    await Deno.rename(`${path}.tmp`, path);
  }
  return paths;
}
