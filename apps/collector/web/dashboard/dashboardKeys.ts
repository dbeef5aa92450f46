/**
 * The dashboard's signed values: the login session (with DASHBOARD_TOKEN) and the CSRF token
 * every form carries. Both are HMAC-SHA-256 signatures, so the server keeps no session table.
 *
 * - The key comes from DASHBOARD_TOKEN when one is set (every worker with the same token accepts
 *   the same session), else from random bytes made at start (the dashboard is then this
 *   machine's only, and a restart asks for a fresh page).
 * - A session is `<expiry ms>.<signature>`; it proves its holder typed the token, and expires.
 * - A CSRF token signs the random nonce of the `bfjobs_csrf` cookie: a form is accepted only
 *   with a token matching the cookie its browser sends, which a page on another site can
 *   neither read nor set (the cookies are HttpOnly and SameSite=Strict).
 *
 * @module
 */
import { sameSecret } from "../operatorAccess.ts";

/** How long a dashboard login lasts. */
export const SESSION_MS = 12 * 3_600_000;

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (const b of data) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/** Signs and checks the dashboard's session values and CSRF tokens. */
export class DashboardKeys {
  private constructor(readonly key: CryptoKey) {}

  /** Keys from `token` (DASHBOARD_TOKEN), or random ones when there is none. */
  static async create(token?: string): Promise<DashboardKeys> {
    const material = token === undefined
      ? crypto.getRandomValues(new Uint8Array(32))
      : new Uint8Array(
        await crypto.subtle.digest(
          "SHA-256",
          new TextEncoder().encode(`bfjobs dashboard key\0${token}`),
        ),
      );
    const key = await crypto.subtle.importKey(
      "raw",
      material,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    return new DashboardKeys(key);
  }

  async #sign(purpose: string, value: string): Promise<string> {
    return base64url(
      await crypto.subtle.sign(
        "HMAC",
        this.key,
        new TextEncoder().encode(`${purpose}\0${value}`),
      ),
    );
  }

  /** A new session value, valid for {@linkcode SESSION_MS} from `now`. */
  async newSession(now = Date.now()): Promise<string> {
    const expires = String(now + SESSION_MS);
    return `${expires}.${await this.#sign("session", expires)}`;
  }

  /** Whether `value` is a session this key signed that has not expired. */
  async validSession(
    value: string | undefined,
    now = Date.now(),
  ): Promise<boolean> {
    if (!value || value.length > 200) return false;
    const [expires, signature, ...rest] = value.split(".");
    if (rest.length > 0 || !/^\d{1,15}$/.test(expires ?? "")) return false;
    if (Number(expires) <= now) return false;
    return sameSecret(signature ?? "", await this.#sign("session", expires));
  }

  /** A fresh random nonce for the CSRF cookie. */
  newNonce(): string {
    return base64url(crypto.getRandomValues(new Uint8Array(24)));
  }

  /** The CSRF token forms carry for the browser holding `nonce`. */
  csrfToken(nonce: string): Promise<string> {
    return this.#sign("csrf", nonce);
  }

  /** Whether `token` is the CSRF token of `nonce`. */
  async validCsrf(
    nonce: string | undefined,
    token: string | undefined,
  ): Promise<boolean> {
    if (!nonce || !token || nonce.length > 100 || token.length > 100) {
      return false;
    }
    return sameSecret(token, await this.csrfToken(nonce));
  }
}
