/**
 * What a test or tool needs to start a server of its own on this machine (a private PostgreSQL
 * cluster, a PgBouncer): a free loopback port, and the OS user such servers run as, since
 * PostgreSQL and PgBouncer refuse to run as root.
 *
 * @module
 */

/**
 * A loopback TCP port nobody listens on right now.
 *
 * @example
 * ```ts
 * const port = sparePort(); // e.g. 41273, for a server about to be started
 * ```
 */
export function sparePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * The uid and gid of the `postgres` OS user when this process runs as root (a server started
 * from here must drop to it), or null when it does not run as root; `server` names what is to
 * be started, for the error when there is no such user.
 */
export function postgresOsIds(
  server: string,
): { uid: number; gid: number } | null {
  if (Deno.uid() !== 0) return null;
  for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === "postgres") return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(
    `running as root, but there is no \`postgres\` OS user to run ${server} as`,
  );
}
