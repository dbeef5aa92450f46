/** What the HTTP server hands every request besides the request itself. */
export interface WebBindings {
  /** The caller's address, as the socket saw it. */
  remoteAddr: Deno.Addr;
}

/** The Hono environment of the worker's web routes. */
export type WebEnv = { Bindings: WebBindings };

/** The caller's host address, for log lines. */
export function remoteAddressOf(bindings: WebBindings): string {
  const addr = bindings.remoteAddr;
  return addr.transport === "tcp" || addr.transport === "udp"
    ? addr.hostname
    : addr.transport;
}
