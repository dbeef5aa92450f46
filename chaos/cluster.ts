/**
 * A private PostgreSQL cluster for the chaos suite: initdb into a temporary directory, started
 * and stopped with pg_ctl on a spare loopback port, so that stopping or restarting it disturbs
 * no other server. Run as root, every server command runs as the `postgres` OS user (PostgreSQL
 * refuses root). `destroy` (or `destroySync` from an exit handler) always removes it; a cluster
 * left behind by a runner that was SIGKILLed is removed by the next `PgCluster.create`.
 *
 * @example
 * ```ts
 * const cluster = await PgCluster.create({ maxConnections: 40 });
 * try {
 *   await cluster.stop("immediate");
 *   await cluster.start();
 * } finally {
 *   await cluster.destroy();
 * }
 * ```
 *
 * @module
 */

import {
  postgresOsIds,
  sparePort,
} from "@bfmono/packages/localServers/localServers.ts";

/** Options for {@linkcode PgCluster.create}. */
export interface PgClusterOptions {
  /** `max_connections` of the server; small, so exhaustion is cheap. Default 40. */
  maxConnections?: number;
  /** Directory of initdb/pg_ctl; default `CHAOS_PG_BIN` or the newest /usr/lib/postgresql/N/bin. */
  binDir?: string;
  /** Progress lines go here. */
  log?: (line: string) => void;
}

/** The prefix of every cluster directory, so stale ones can be recognised. */
const DIR_PREFIX = "bfmono-chaos-pg-";
const PG_CTL_TIMEOUT_S = 30;
const COMMAND_TIMEOUT_MS = 60_000;

/** The result of one command run to completion. */
interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` (as the postgres user when we are root) and waits, at most `timeoutMs`. */
async function run(
  cmd: string,
  args: string[],
  asPostgres: boolean,
  timeoutMs = COMMAND_TIMEOUT_MS,
): Promise<Ran> {
  const [program, programArgs] = asPostgres && Deno.uid() === 0
    ? ["runuser", ["-u", "postgres", "--", cmd, ...args]]
    : [cmd, args];
  const child = new Deno.Command(program, {
    args: programArgs,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      reject(
        new Error(`${cmd} ${args.join(" ")}: no exit within ${timeoutMs} ms`),
      );
    }, timeoutMs);
  });
  try {
    const out = await Promise.race([child.output(), timedOut]);
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Like `run`, synchronously and without a timeout: only for exit handlers. */
function runSync(cmd: string, args: string[], asPostgres: boolean): number {
  const [program, programArgs] = asPostgres && Deno.uid() === 0
    ? ["runuser", ["-u", "postgres", "--", cmd, ...args]]
    : [cmd, args];
  try {
    return new Deno.Command(program, {
      args: programArgs,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync().code;
  } catch {
    return -1;
  }
}

/** The newest PostgreSQL binaries directory on this machine, or `CHAOS_PG_BIN`. */
export function findPgBinDir(): string {
  const fromEnv = Deno.env.get("CHAOS_PG_BIN");
  if (fromEnv) return fromEnv;
  const versions: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/usr/lib/postgresql")) {
      if (/^\d+$/.test(entry.name)) versions.push(Number(entry.name));
    }
  } catch {
    // reported below
  }
  versions.sort((a, b) => b - a);
  for (const version of versions) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    try {
      Deno.statSync(`${dir}/pg_ctl`);
      return dir;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    "no PostgreSQL binaries found under /usr/lib/postgresql/N/bin; set CHAOS_PG_BIN",
  );
}

function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs worker processes listed in `pidFile` that still run `bft worker`. */
function killOrphanWorkers(pidFile: string): void {
  let pids: number[] = [];
  try {
    pids = Deno.readTextFileSync(pidFile).split("\n").map(Number)
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return;
  }
  for (const pid of pids) {
    let cmdline = "";
    try {
      cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    } catch {
      continue;
    }
    if (!cmdline.includes("bft") || !cmdline.includes("worker")) continue;
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

/** A private PostgreSQL cluster in a temporary directory; see the module doc. */
export class PgCluster {
  readonly port: number;
  readonly dir: string;
  readonly dataDir: string;
  readonly maxConnections: number;
  readonly #binDir: string;
  readonly #log: (line: string) => void;
  #running = false;
  #destroyed = false;

  private constructor(
    dir: string,
    port: number,
    maxConnections: number,
    binDir: string,
    log: (line: string) => void,
  ) {
    this.dir = dir;
    this.dataDir = `${dir}/data`;
    this.port = port;
    this.maxConnections = maxConnections;
    this.#binDir = binDir;
    this.#log = log;
  }

  /** initdb + start on a spare port; removes the directory again if either fails. */
  static async create(options: PgClusterOptions = {}): Promise<PgCluster> {
    const binDir = options.binDir ?? findPgBinDir();
    const log = options.log ?? (() => {});
    const maxConnections = options.maxConnections ?? 40;
    await PgCluster.removeStale(binDir, log);
    const dir = await Deno.makeTempDir({ prefix: DIR_PREFIX });
    await Deno.writeTextFile(`${dir}/owner.pid`, String(Deno.pid));
    const ids = postgresOsIds("the cluster");
    if (ids) await Deno.chown(dir, ids.uid, ids.gid);
    await Deno.chmod(dir, 0o755);
    const cluster = new PgCluster(
      dir,
      sparePort(),
      maxConnections,
      binDir,
      log,
    );
    try {
      await cluster.#initdb();
      await cluster.start();
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /** Stops and removes clusters whose runner process is gone (it was killed before teardown). */
  static async removeStale(
    binDir: string,
    log: (line: string) => void,
  ): Promise<void> {
    const tmp = Deno.env.get("TMPDIR") || "/tmp";
    let entries: Deno.DirEntry[] = [];
    try {
      entries = [...Deno.readDirSync(tmp)];
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory || !entry.name.startsWith(DIR_PREFIX)) continue;
      const dir = `${tmp}/${entry.name}`;
      let owner = NaN;
      try {
        owner = Number(Deno.readTextFileSync(`${dir}/owner.pid`).trim());
      } catch {
        // no owner file: a directory being set up right now, or broken; leave it
        continue;
      }
      if (Number.isInteger(owner) && processAlive(owner)) continue;
      log(`removing a stale chaos cluster left by process ${owner}: ${dir}`);
      killOrphanWorkers(`${dir}/worker.pids`);
      try {
        Deno.statSync(`${dir}/data/postmaster.pid`);
        await run(
          `${binDir}/pg_ctl`,
          ["stop", "-D", `${dir}/data`, "-m", "immediate", "-w"],
          true,
        );
      } catch {
        // not running
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }

  async #initdb(): Promise<void> {
    const initdb = await run(`${this.#binDir}/initdb`, [
      "-D",
      this.dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ], true);
    if (initdb.code !== 0) {
      throw new Error(`initdb failed (${initdb.code}): ${initdb.stderr}`);
    }
    // Durability against an OS crash is not under test; a server crash (immediate stop) still
    // keeps every commit, because WAL reaches the OS before a commit returns.
    const settings = [
      `port = ${this.port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${this.dir}'`,
      `max_connections = ${this.maxConnections}`,
      `superuser_reserved_connections = 3`,
      `shared_buffers = 32MB`,
      `fsync = off`,
      `full_page_writes = off`,
      `autovacuum_naptime = 1s`,
      `log_min_messages = warning`,
      `log_line_prefix = '%m [%p] %a '`,
    ];
    await Deno.writeTextFile(
      `${this.dataDir}/postgresql.conf`,
      `\n# chaos suite\n${settings.join("\n")}\n`,
      { append: true },
    );
  }

  /** Records a worker process id, so that a later run can end it if this runner dies. */
  recordWorkerPid(pid: number): void {
    try {
      Deno.writeTextFileSync(`${this.dir}/worker.pids`, `${pid}\n`, {
        append: true,
      });
    } catch {
      // best effort
    }
  }

  /** The server log (useful when a start fails). */
  get logFile(): string {
    return `${this.dir}/server.log`;
  }

  /** Whether the suite believes the server is up. */
  get running(): boolean {
    return this.#running;
  }

  /** A connection URL for `role` on `database`. */
  url(database = "postgres", role = "postgres"): string {
    return `postgres://${role}@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.#destroyed) throw new Error("the chaos cluster was destroyed");
    const result = await this.#pgCtl("start", ["-l", this.logFile]);
    if (result.code !== 0) {
      const tail = await Deno.readTextFile(this.logFile).catch(() => "");
      throw new Error(
        `pg_ctl start failed (${result.code}): ${result.stderr}\n${
          tail.slice(-2000)
        }`,
      );
    }
    this.#running = true;
    this.#log(`cluster up on 127.0.0.1:${this.port}`);
  }

  /** `pg_ctl ACTION -D <data> ARGS -w`, as postgres, waiting at most PG_CTL_TIMEOUT_S. */
  #pgCtl(action: "start" | "stop", args: string[]): Promise<Ran> {
    return run(
      `${this.#binDir}/pg_ctl`,
      [
        action,
        "-D",
        this.dataDir,
        ...args,
        "-w",
        "-t",
        String(PG_CTL_TIMEOUT_S),
      ],
      true,
      (PG_CTL_TIMEOUT_S + 10) * 1000,
    );
  }

  /** Stops the server: `fast` disconnects clients cleanly, `immediate` is a crash. */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    const result = await this.#pgCtl("stop", ["-m", mode]);
    if (result.code !== 0) {
      throw new Error(`pg_ctl stop failed (${result.code}): ${result.stderr}`);
    }
    this.#running = false;
    this.#log(`cluster stopped (${mode})`);
  }

  /** Stops the server (if up) and removes its directory. Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    try {
      await this.#pgCtl("stop", ["-m", "immediate"]);
    } catch {
      // the directory goes regardless
    }
    this.#running = false;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** `destroy` for exit handlers, where nothing asynchronous runs any more. */
  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    runSync(`${this.#binDir}/pg_ctl`, [
      "stop",
      "-D",
      this.dataDir,
      "-m",
      "immediate",
      "-w",
    ], true);
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch {
      // best effort
    }
  }
}
