import { bfDb } from "../bfDb.ts";
import { PostgresBackend } from "../storage/PostgresBackend.ts";

/**
 * The start of a racing test process: gives bfDb one connection to `url`, prints
 * `{"ready": true, "pid"}` (the connection's backend pid) and waits for a line on stdin, the
 * start gun, so that every racer is connected before any begins. Returns the pid.
 *
 * @example
 * ```ts
 * const pid = await connectAndAwaitStart(Deno.args[0]);
 * ```
 */
export async function connectAndAwaitStart(url: string): Promise<number> {
  bfDb.use(new PostgresBackend(url, { maxConnections: 1 }));
  const [{ pid }] = await bfDb.query<{ pid: number }>(
    "SELECT pg_backend_pid() AS pid",
  );
  console.log(JSON.stringify({ ready: true, pid }));
  const reader = Deno.stdin.readable.getReader();
  await reader.read();
  reader.releaseLock();
  return pid;
}
