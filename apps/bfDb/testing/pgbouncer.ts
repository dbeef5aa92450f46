/**
 * A private PgBouncer for tests and the bench: Debian's `pgbouncer` binary started on a spare
 * loopback port with an ini file of its own in a temporary directory, in front of one
 * PostgreSQL server (the test server unless told otherwise), every database name passed
 * through, `auth_type = trust`, `pool_mode = transaction` by default. It never touches a
 * system-wide PgBouncer (Debian's package may run one on 6432). Run as root, PgBouncer is told
 * to switch to the `postgres` OS user, since it refuses to run as root.
 *
 * @example
 * ```ts
 * await using bouncer = await startPgBouncer();
 * const url = bouncer.url("bftest_abc"); // postgres://postgres@127.0.0.1:<port>/bftest_abc
 * ```
 *
 * @module
 */
import {
  postgresOsIds,
  sparePort,
} from "@bfmono/packages/localServers/localServers.ts";
import { DEFAULT_WAIT_MS } from "./waitFor.ts";
import { TEST_SERVER_URL } from "./testDatabase.ts";

/** Where the binary is looked for when `PGBOUNCER_BIN` is unset (Debian puts it in /usr/sbin). */
const CANDIDATES = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"];

/** The PgBouncer binary: `PGBOUNCER_BIN`, else Debian's path; throws saying how to install it. */
export function findPgBouncer(): string {
  const fromEnv = Deno.env.get("PGBOUNCER_BIN");
  for (const path of fromEnv ? [fromEnv] : CANDIDATES) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    "pgbouncer not found (looked in " +
      (fromEnv ? fromEnv : CANDIDATES.join(", ")) +
      "); install it with `apt-get install -y pgbouncer` (CI's .ci/run does), or set PGBOUNCER_BIN",
  );
}

/** Options for {@linkcode startPgBouncer}. */
export interface PgBouncerOptions {
  /** The server it pools for: host and port are taken from this URL; default the test server. */
  serverUrl?: string;
  /** `pool_mode`; default `transaction`. */
  poolMode?: "session" | "transaction";
  /** Server connections per database and user (`default_pool_size`); default 20. */
  poolSize?: number;
  /** Most client connections (`max_client_conn`); default 1000. */
  maxClients?: number;
}

/** A running private PgBouncer; dispose it (or `stop()`) to end it and remove its files. */
export interface PgBouncer extends AsyncDisposable {
  /** The loopback port it listens on. */
  readonly port: number;
  /** The OS process id. */
  readonly pid: number;
  /** Its log file (kept until stopped). */
  readonly logFile: string;
  /** A URL through the pooler to `database` on the server, as user postgres. */
  url(database: string): string;
  /** `url` with `databaseUrl`'s database name: the same database, through the pooler. */
  urlFor(databaseUrl: string): string;
  /** The log's last lines, for failure messages. */
  logTail(lines?: number): string;
  /** Kills it and removes its directory; idempotent. */
  stop(): Promise<void>;
}

async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a private PgBouncer (see the module doc) and waits until it accepts connections;
 * fails with its log if it exits or does not listen within the bound.
 */
export async function startPgBouncer(
  options: PgBouncerOptions = {},
): Promise<PgBouncer> {
  const binary = findPgBouncer();
  const server = new URL(options.serverUrl ?? TEST_SERVER_URL);
  const port = sparePort();
  const dir = await Deno.makeTempDir({ prefix: "bfmono-pgbouncer-" });
  const logFile = `${dir}/pgbouncer.log`;
  const ids = postgresOsIds("pgbouncer");
  const ini = [
    "[databases]",
    // Every database name goes to the same server, so test databases made on the fly pass.
    `* = host=${server.hostname} port=${server.port || "5432"}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    "auth_type = trust",
    `auth_file = ${dir}/users.txt`,
    `pool_mode = ${options.poolMode ?? "transaction"}`,
    `default_pool_size = ${options.poolSize ?? 20}`,
    `max_client_conn = ${options.maxClients ?? 1000}`,
    // node-postgres and JDBC send it; PgBouncer refuses unknown startup parameters otherwise.
    "ignore_startup_parameters = extra_float_digits",
    "admin_users = postgres",
    `logfile = ${logFile}`,
    "log_connections = 0",
    "log_disconnections = 0",
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/pgbouncer.ini`, ini);
  await Deno.writeTextFile(`${dir}/users.txt`, `"postgres" ""\n`);
  if (ids) await Deno.chown(dir, ids.uid, ids.gid);
  await Deno.chmod(dir, 0o755);
  const child = new Deno.Command(binary, {
    args: [...(ids ? ["-u", "postgres"] : []), `${dir}/pgbouncer.ini`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const stderr = new Response(child.stderr).text();
  let stopped = false;
  const logTail = (lines = 20) => {
    try {
      return Deno.readTextFileSync(logFile).trimEnd().split("\n").slice(-lines)
        .join("\n");
    } catch {
      return "(no log)";
    }
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      // Nothing of a pooler's is worth a graceful stop here; its clients see their connections
      // close, and the server sees its own close.
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    await status;
    await stderr.catch(() => "");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + DEFAULT_WAIT_MS;
  while (!await accepts(port)) {
    if (exited || Date.now() > deadline) {
      const why = exited
        ? `exited with ${(await status).code}`
        : `did not listen on ${port} within ${DEFAULT_WAIT_MS} ms`;
      const log = `${await stderr.catch(() => "")}\n${logTail()}`;
      await stop();
      throw new Error(`pgbouncer ${why}:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const url = (database: string) =>
    `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    port,
    pid: child.pid,
    logFile,
    url,
    urlFor: (databaseUrl) =>
      url(decodeURIComponent(new URL(databaseUrl).pathname.slice(1))),
    logTail,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
