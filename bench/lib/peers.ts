import { benchPath } from "../systems/system.ts";

/** Installs bench/peers' pinned npm packages (`npm ci`) when node_modules is missing. */
export async function ensurePeersInstalled(): Promise<void> {
  const dir = benchPath("peers");
  try {
    await Deno.stat(`${dir}/node_modules/.package-lock.json`);
    return;
  } catch { /* not installed yet */ }
  console.error(
    "installing graphile-worker and pg-boss: npm ci --prefix bench/peers",
  );
  const child = new Deno.Command("npm", {
    args: ["ci", "--prefix", dir, "--no-audit", "--no-fund"],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 10 * 60_000);
  const status = await child.status;
  clearTimeout(timer);
  if (!status.success) {
    throw new Error(`npm ci --prefix bench/peers failed (code ${status.code})`);
  }
}
