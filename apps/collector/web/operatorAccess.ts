/**
 * Who may use the worker's operator routes (`/ops/`), checked before any of them runs: a web
 * page open in an operator's browser must not reach them (no cross-site request, no DNS
 * rebinding), and without `DASHBOARD_TOKEN` only this machine may.
 *
 * - The Host header must name this machine (localhost, 127.x, [::1]) or one of `hosts`
 *   (DASHBOARD_HOSTS), so a rebound name reaching 127.0.0.1 is refused.
 * - With a token, every request carries `Authorization: Bearer <token>`; without one, only
 *   loopback callers are served.
 * - A request that changes anything (every POST) must say `Content-Type: application/json`,
 *   which no HTML form can send and no page can send cross-origin without a CORS preflight we
 *   never grant; an `Origin` other than this server's, or a `Sec-Fetch-Site` other than
 *   `same-origin`/`none`, is refused too.
 *
 * @module
 */

/** What the operator routes admit. */
export interface OperatorAccess {
  /** DASHBOARD_TOKEN: when set, every request needs it as a bearer token. */
  token?: string;
  /** DASHBOARD_HOSTS: host names besides this machine's loopback ones that may be used. */
  hosts: readonly string[];
  /** DASHBOARD_READONLY=1: every action is refused; reading stays open. */
  readOnly?: boolean;
}

/** The operator routes that only read. */
const READING_ROUTES = new Set([
  "/ops/status",
  "/ops/list",
  "/ops/show",
  "/ops/queues",
  "/ops/schedules",
]);

/** A refusal: the HTTP status and a message that says what to change. */
export interface Refusal {
  status: number;
  error: string;
}

const LOOPBACK_NAMES = new Set(["localhost", "[::1]", "::1"]);

/** Whether `address` is this machine. */
export function isLoopbackAddress(address: Deno.Addr): boolean {
  if (address.transport !== "tcp") return false;
  return address.hostname === "::1" || address.hostname.startsWith("127.") ||
    address.hostname === "::ffff:127.0.0.1";
}

/** The host name of a Host header value, without its port, lower-cased. */
function hostnameOf(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith("[")) {
    const end = value.indexOf("]");
    return end < 0 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(":");
  return colon < 0 ? value : value.slice(0, colon);
}

function isLoopbackName(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Whether `given` equals `expected`, compared in time independent of where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}

/**
 * Why the Host of `request` is refused (it names neither this machine nor one of
 * `access.hosts`: a DNS-rebound name, say), or null when it is fine.
 */
export function hostRefusal(
  request: Request,
  access: OperatorAccess,
): Refusal | null {
  const host = request.headers.get("host") ?? "";
  const hostname = hostnameOf(host);
  if (isLoopbackName(hostname) || access.hosts.includes(hostname)) return null;
  return {
    status: 403,
    error: `Host ${
      JSON.stringify(host)
    } is not this worker's address; add it to DASHBOARD_HOSTS`,
  };
}

/**
 * Why a request that changes something is refused as coming from another site (an `Origin`
 * other than this server's, or a `Sec-Fetch-Site` other than same-origin/none), or null.
 */
export function crossSiteRefusal(request: Request): Refusal | null {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== new URL(request.url).origin) {
    return { status: 403, error: "cross-origin operator requests are refused" };
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return { status: 403, error: "cross-site operator requests are refused" };
  }
  return null;
}

/** The refusal of a caller that is not this machine while no token is configured. */
export const LOCAL_ONLY: Refusal = {
  status: 403,
  error:
    "operator routes are local only; set DASHBOARD_TOKEN to open them to others",
};

/** Why `request` to an operator route is refused, or null when it may be served. */
export function operatorRefusal(
  request: Request,
  remote: Deno.Addr,
  access: OperatorAccess,
): Refusal | null {
  const wrongHost = hostRefusal(request, access);
  if (wrongHost) return wrongHost;
  if (access.token !== undefined) {
    const given = request.headers.get("authorization") ?? "";
    if (!sameSecret(given, `Bearer ${access.token}`)) {
      return {
        status: 401,
        error: "operator routes need DASHBOARD_TOKEN as a bearer token",
      };
    }
  } else if (!isLoopbackAddress(remote)) {
    return LOCAL_ONLY;
  }
  if (request.method === "GET" || request.method === "HEAD") return null;
  if (access.readOnly && !READING_ROUTES.has(new URL(request.url).pathname)) {
    return {
      status: 403,
      error: "this worker's operator routes are read-only (DASHBOARD_READONLY)",
    };
  }
  const type = (request.headers.get("content-type") ?? "").split(";")[0]
    .trim().toLowerCase();
  if (type !== "application/json") {
    return {
      status: 415,
      error: "operator requests that change anything must be application/json",
    };
  }
  return crossSiteRefusal(request);
}
