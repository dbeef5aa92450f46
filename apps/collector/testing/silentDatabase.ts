/**
 * TCP stand-ins for a database that stops answering, the way a blackholed host or a frozen
 * server looks to a client: {@linkcode startSilentListener} accepts connections and never says a
 * word; {@linkcode startFreezableProxy} forwards to a real server until `freeze()`, then holds
 * every connection open and silent in both directions.
 *
 * @module
 */

/** A running stand-in; `port` on 127.0.0.1. */
export interface SilentEndpoint extends AsyncDisposable {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
}

/** Accepts connections on a free port and never answers them. */
export function startSilentListener(): SilentEndpoint {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch {
      // closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return held.length;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of held) closeQuietly(conn);
    },
  };
}

/** A proxy to a real server that can be made to go silent. */
export interface FreezableProxy extends SilentEndpoint {
  /** From now on nothing passes either way; connections stay open. */
  freeze(): void;
}

/** Forwards 127.0.0.1:`port` to `target` until `freeze()` is called. */
export function startFreezableProxy(
  target: { hostname: string; port: number },
): FreezableProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let frozen = false;
  let accepted = 0;
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (!frozen) {
        const n = await from.read(buffer);
        if (n === null || frozen) break;
        let written = 0;
        while (written < n) {
          written += await to.write(buffer.subarray(written, n));
        }
      }
    } catch {
      // one side closed
    }
    if (!frozen) {
      closeQuietly(from);
      closeQuietly(to);
    }
  };
  const accepting = (async () => {
    try {
      for await (const client of listener) {
        accepted++;
        conns.push(client);
        if (frozen) continue;
        const server = await Deno.connect(target);
        conns.push(server);
        pump(client, server);
        pump(server, client);
      }
    } catch {
      // closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    freeze() {
      frozen = true;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of conns) closeQuietly(conn);
    },
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
