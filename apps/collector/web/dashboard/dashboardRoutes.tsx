import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { Logger } from "@bfmono/packages/logger/logger.ts";
import { OperatorError } from "../../ops/operatorCommands.ts";
import type { OperatorCommands } from "../../ops/operatorCommands.ts";
import {
  crossSiteRefusal,
  hostRefusal,
  isLoopbackAddress,
  LOCAL_ONLY,
  type OperatorAccess,
  sameSecret,
} from "../operatorAccess.ts";
import { remoteAddressOf, type WebBindings } from "../webEnv.ts";
import { actionFields, DASHBOARD_ACTIONS } from "./dashboardActions.ts";
import type { DashboardReads } from "./dashboardReads.ts";
import { DashboardKeys, SESSION_MS } from "./dashboardKeys.ts";
import type { PageContext } from "./pages/layout.tsx";
import { JobPage } from "./pages/jobPage.tsx";
import { JobsPage } from "./pages/jobsPage.tsx";
import { ConfirmPage, LoginPage, MessagePage } from "./pages/messagePages.tsx";
import { OverviewPage } from "./pages/overviewPage.tsx";
import { QueuesPage } from "./pages/queuesPage.tsx";
import { SchedulesPage } from "./pages/schedulesPage.tsx";

/** What the dashboard needs: what it reads, the commands behind its actions, who may use it. */
export interface DashboardOptions {
  reads: DashboardReads;
  operator: OperatorCommands;
  access: OperatorAccess;
  logger: Logger;
}

type DashboardEnv = {
  Bindings: WebBindings;
  Variables: { ctx: PageContext; session: boolean };
};
type DashboardContext = Context<DashboardEnv>;

const SESSION_COOKIE = "bfjobs_session";
const CSRF_COOKIE = "bfjobs_csrf";
const FLASH_COOKIE = "bfjobs_flash";
const COOKIE_PATH = "/dashboard";

/**
 * Pages are built from our own templates, scripts and styles only: no inline script, nothing
 * from elsewhere, no framing (clickjacking), forms post only here.
 */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; " +
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

const ASSETS: Record<string, { file: string; type: string }> = {
  "dashboard.css": { file: "dashboard.css", type: "text/css; charset=utf-8" },
  "dashboard.js": {
    file: "dashboard.js",
    type: "text/javascript; charset=utf-8",
  },
};

/** `back` if it is a dashboard path of this server, else the overview. */
export function safeBack(back: unknown): string {
  if (
    typeof back !== "string" || back.length > 2_000 ||
    !/^\/dashboard(\/|\?|$)/.test(back) || back.includes("\\") ||
    back.includes("//")
  ) {
    return "/dashboard";
  }
  return back;
}

async function render(
  c: DashboardContext,
  page: JSX.Element,
  status = 200,
): Promise<Response> {
  return c.html(
    `<!DOCTYPE html>${await page.toString()}`,
    status as 200,
  );
}

function cookieOptions(c: DashboardContext, maxAgeSeconds?: number) {
  return {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: new URL(c.req.url).protocol === "https:",
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  };
}

/**
 * The dashboard under `/dashboard`: server-rendered pages that read without scripts
 * (overview, jobs, one job, queues, schedules), and actions as confirmed POST forms that run
 * operator commands. Every request passes the operator routes' Host rule; without
 * DASHBOARD_TOKEN only this machine is served, with it a login sets an HttpOnly, SameSite=Strict
 * session cookie (or a bearer header does); every action needs the CSRF token of the form it
 * came from and no foreign Origin, is refused under DASHBOARD_READONLY, and leaves an audit line.
 *
 * @example
 * ```ts
 * const app = new Hono();
 * app.route("/dashboard", await dashboardRoutes({ reads, operator, access, logger }));
 * ```
 */
export async function dashboardRoutes(
  options: DashboardOptions,
): Promise<Hono<DashboardEnv>> {
  const { reads, operator, access, logger } = options;
  const keys = await DashboardKeys.create(access.token);
  const assetDir = new URL("./assets/", import.meta.url);
  const assets = new Map<string, string>();
  for (const [name, { file }] of Object.entries(ASSETS)) {
    assets.set(name, await Deno.readTextFile(new URL(file, assetDir)));
  }
  const app = new Hono<DashboardEnv>();

  const refuse = (c: DashboardContext, status: number, reason: string) => {
    logger.warn("dashboard request refused", {
      path: c.req.path,
      method: c.req.method,
      remote: remoteAddressOf(c.env),
      reason,
    });
    return render(
      c,
      <MessagePage title="Refused" message={reason} />,
      status,
    );
  };

  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      c.res.headers.set(name, value);
    }
  });

  app.use("*", async (c, next) => {
    const wrongHost = hostRefusal(c.req.raw, access);
    if (wrongHost) return refuse(c, wrongHost.status, wrongHost.error);
    await next();
  });

  app.get("/assets/:name", (c) => {
    const name = c.req.param("name");
    const body = Object.hasOwn(ASSETS, name) ? assets.get(name) : undefined;
    if (body === undefined) return c.text("not found", 404);
    return c.body(body, 200, { "content-type": ASSETS[name].type });
  });

  // The login form (only with a token; without one the dashboard is this machine's).
  app.get("/login", (c) => {
    if (access.token === undefined) return c.redirect("/dashboard", 303);
    return render(c, <LoginPage next={safeBack(c.req.query("next"))} />);
  });
  app.post("/login", async (c) => {
    if (access.token === undefined) return c.redirect("/dashboard", 303);
    const crossSite = crossSiteRefusal(c.req.raw);
    if (crossSite) return refuse(c, crossSite.status, crossSite.error);
    const form = await c.req.parseBody().catch(() => ({}));
    const next = safeBack((form as Record<string, unknown>).next);
    const given = (form as Record<string, unknown>).token;
    if (typeof given !== "string" || !sameSecret(given, access.token)) {
      logger.warn("dashboard login refused", {
        remote: remoteAddressOf(c.env),
      });
      return render(c, <LoginPage next={next} failed />, 401);
    }
    setCookie(
      c,
      SESSION_COOKIE,
      await keys.newSession(),
      cookieOptions(c, SESSION_MS / 1000),
    );
    logger.info("dashboard login", { remote: remoteAddressOf(c.env) });
    return c.redirect(next, 303);
  });

  // Who may use the rest: a session or bearer token when there is a token, else this machine.
  app.use("*", async (c, next) => {
    let session = false;
    if (access.token !== undefined) {
      const bearer = c.req.header("authorization") ?? "";
      session = await keys.validSession(getCookie(c, SESSION_COOKIE));
      if (!session && !sameSecret(bearer, `Bearer ${access.token}`)) {
        if (c.req.method === "GET" || c.req.method === "HEAD") {
          const next = safeBack(
            new URL(c.req.url).pathname + new URL(c.req.url).search,
          );
          return c.redirect(
            `/dashboard/login?${new URLSearchParams({ next })}`,
            303,
          );
        }
        return refuse(c, 401, "log in with DASHBOARD_TOKEN first");
      }
    } else if (!isLoopbackAddress(c.env.remoteAddr)) {
      return refuse(c, LOCAL_ONLY.status, LOCAL_ONLY.error);
    }
    let nonce = getCookie(c, CSRF_COOKIE);
    if (!nonce || nonce.length > 100) {
      nonce = keys.newNonce();
      setCookie(c, CSRF_COOKIE, nonce, cookieOptions(c));
    }
    const url = new URL(c.req.url);
    const flash = readFlash(getCookie(c, FLASH_COOKIE));
    if (flash) deleteCookie(c, FLASH_COOKIE, { path: COOKIE_PATH });
    c.set("session", session);
    c.set("ctx", {
      csrf: await keys.csrfToken(nonce),
      readOnly: access.readOnly === true,
      session,
      now: Date.now(),
      here: safeBack(url.pathname + url.search),
      notice: flash?.notice,
      error: flash?.error,
    });
    await next();
  });

  // Every POST from here on changes something: read-only refuses it, then the form must come
  // from this site with this browser's CSRF token.
  app.post("*", async (c, next) => {
    if (access.readOnly && c.req.path !== "/dashboard/logout") {
      return refuse(c, 403, "this dashboard is read-only (DASHBOARD_READONLY)");
    }
    const crossSite = crossSiteRefusal(c.req.raw);
    if (crossSite) return refuse(c, crossSite.status, crossSite.error);
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim()
      .toLowerCase();
    if (
      type !== "application/x-www-form-urlencoded" &&
      type !== "multipart/form-data"
    ) {
      return refuse(c, 415, "dashboard actions are HTML form posts");
    }
    const form = await c.req.parseBody().catch(() => null);
    const csrf = form?.csrf;
    if (
      typeof csrf !== "string" ||
      !await keys.validCsrf(getCookie(c, CSRF_COOKIE), csrf)
    ) {
      return refuse(
        c,
        403,
        "this form is stale or was not made by this dashboard; reload the page and try again",
      );
    }
    await next();
  });

  app.post("/logout", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH });
    return c.redirect(access.token ? "/dashboard/login" : "/dashboard", 303);
  });

  app.post("/actions/:action", async (c) => {
    const name = c.req.param("action");
    const ctx = c.get("ctx");
    if (!Object.hasOwn(DASHBOARD_ACTIONS, name)) {
      return render(
        c,
        <MessagePage ctx={ctx} title="Not found" message="No such action." />,
        404,
      );
    }
    const action = DASHBOARD_ACTIONS[name];
    const form = await c.req.parseBody() as Record<string, unknown>;
    const back = safeBack(form.back);
    const fields = actionFields(action, form);
    if (typeof fields === "string") {
      return render(
        c,
        <MessagePage ctx={ctx} title="Bad request" message={fields} />,
        400,
      );
    }
    if (form.confirmed !== "1") {
      return render(
        c,
        <ConfirmPage
          ctx={ctx}
          action={name}
          question={action.question(fields)}
          fields={fields}
          back={back}
        />,
      );
    }
    const who = {
      remote: remoteAddressOf(c.env),
      via: access.token === undefined
        ? "loopback"
        : (c.get("session") ? "login" : "bearer token"),
      userAgent: (c.req.header("user-agent") ?? "").slice(0, 200),
    };
    try {
      const notice = await action.run(operator, fields);
      logger.info("dashboard action", {
        action: name,
        target: fields,
        who,
        outcome: "done",
        message: notice,
      });
      setFlash(c, { notice });
    } catch (error) {
      if (!(error instanceof OperatorError)) throw error;
      logger.warn("dashboard action", {
        action: name,
        target: fields,
        who,
        outcome: "refused",
        message: error.message,
      });
      setFlash(c, { error: error.message });
    }
    return c.redirect(back, 303);
  });

  app.get("/", async (c) => {
    return render(
      c,
      <OverviewPage ctx={c.get("ctx")} data={await reads.overview()} />,
    );
  });

  app.get("/jobs", async (c) => {
    const ctx = c.get("ctx");
    const query = c.req.query();
    const limit = query.limit ? Number(query.limit) : undefined;
    let filter;
    try {
      filter = reads.checkJobFilter({
        status: query.status as never,
        type: query.type,
        queue: query.queue,
        org: query.org,
        text: query.text,
        before: query.before,
        after: query.after,
        limit,
      });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      return render(
        c,
        <MessagePage ctx={ctx} title="Bad filter" message={error.message} />,
        400,
      );
    }
    const page = await reads.jobs(filter);
    return render(c, <JobsPage ctx={ctx} filter={filter} page={page} />);
  });

  app.get("/jobs/:id", async (c) => {
    const ctx = c.get("ctx");
    const found = await reads.job(c.req.param("id"));
    if (!found) {
      return render(
        c,
        <MessagePage
          ctx={ctx}
          title="Not found"
          message={`No job with id ${JSON.stringify(c.req.param("id"))}.`}
        />,
        404,
      );
    }
    return render(
      c,
      <JobPage ctx={ctx} job={found.job} edges={found.edges} />,
    );
  });

  app.get("/queues", async (c) => {
    return render(
      c,
      <QueuesPage ctx={c.get("ctx")} queues={await reads.queues()} />,
    );
  });

  app.get("/schedules", async (c) => {
    return render(
      c,
      <SchedulesPage ctx={c.get("ctx")} schedules={await reads.schedules()} />,
    );
  });

  app.all("*", (c) =>
    render(
      c,
      <MessagePage
        ctx={c.get("ctx")}
        title="Not found"
        message="No such page."
      />,
      404,
    ));

  app.onError((error, c) => {
    logger.error("dashboard request failed", { path: c.req.path, error });
    return render(
      c,
      <MessagePage
        title="Something went wrong"
        message="The request failed; the worker's log says why."
      />,
      500,
    );
  });
  return app;
}

interface Flash {
  notice?: string;
  error?: string;
}

/** Leaves the outcome of an action for the page the browser is sent back to (shown once). */
function setFlash(c: DashboardContext, flash: Flash): void {
  const text = JSON.stringify({
    notice: flash.notice?.slice(0, 1_000),
    error: flash.error?.slice(0, 1_000),
  });
  setCookie(
    c,
    FLASH_COOKIE,
    btoa(String.fromCharCode(...new TextEncoder().encode(text))),
    cookieOptions(c, 60),
  );
}

function readFlash(value: string | undefined): Flash | null {
  if (!value || value.length > 4_000) return null;
  try {
    const bytes = Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0));
    const flash = JSON.parse(new TextDecoder().decode(bytes));
    return {
      notice: typeof flash.notice === "string" ? flash.notice : undefined,
      error: typeof flash.error === "string" ? flash.error : undefined,
    };
  } catch {
    return null;
  }
}
