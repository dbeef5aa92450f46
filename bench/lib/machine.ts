import { serverVersion } from "./db.ts";

/** Where the bench ran. */
export interface Machine {
  cores: number;
  cpu: string;
  postgres: string;
  node: string;
  deno: string;
  os: string;
}

async function output(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "unknown";
  }
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

/** Cores (`nproc`), CPU model, PostgreSQL `SHOW server_version`, runtime versions. */
export async function describeMachine(): Promise<Machine> {
  const nproc = Number(await output("nproc", []));
  return {
    cores: Number.isFinite(nproc) && nproc > 0
      ? nproc
      : navigator.hardwareConcurrency,
    cpu: cpuModel(),
    postgres: await serverVersion(),
    node: (await output("node", ["--version"])).replace(/^v/, ""),
    deno: Deno.version.deno,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
  };
}
