/**
 * One HTTP/1.1 request written to the socket with exactly the headers given (Host included,
 * which `fetch` will not let a test forge), for tests of who the worker's routes admit.
 *
 * @module
 */

/** One HTTP/1.1 request with exactly these headers; the status and body of the answer. */
export async function rawRequest(
  port: number,
  request: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
    /** The address to connect to (default 127.0.0.1); the Host header stays loopback. */
    connectTo?: string;
  },
): Promise<{ status: number; body: string }> {
  const body = new TextEncoder().encode(request.body ?? "");
  const head = [
    `${request.method ?? "POST"} ${request.path} HTTP/1.1`,
    ...Object.entries({ host: `127.0.0.1:${port}`, ...request.headers }).map((
      [k, v],
    ) => `${k}: ${v}`),
    `content-length: ${body.length}`,
    "connection: close",
    "",
    "",
  ].join("\r\n");
  const conn = await Deno.connect({
    hostname: request.connectTo ?? "127.0.0.1",
    port,
  });
  try {
    await conn.write(
      new Uint8Array([...new TextEncoder().encode(head), ...body]),
    );
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(65_536);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    const text = new TextDecoder().decode(
      new Uint8Array(chunks.flatMap((c) => [...c])),
    );
    return {
      status: Number(text.split(" ")[1]),
      body: text.slice(text.indexOf("\r\n\r\n") + 4),
    };
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the server
    }
  }
}
