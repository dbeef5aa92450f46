// The dashboard over real HTTP on a real database: what it shows (escaped), how it pages, and
// who may change anything (CSRF, Origin, Host, token login, read-only), each forged request
// checked to change nothing.
import assert from "node:assert/strict";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { setQueueSettings } from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { BfJobSchedule } from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import { jobRow, TEST_CV } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import {
  dbTest,
  withTestDatabase,
} from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import {
  DashboardClient,
  startDashboardServer,
} from "../../testing/dashboardClient.ts";
import { rawRequest } from "../../testing/rawHttp.ts";

const TOKEN = "dashboard-token-0123456789";

/** Strings an attacker controls (payloads, types, errors, org ids, queue names). */
const HOSTILE = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  "</pre><script>alert(2)</script>",
];

/** The Cookie header `browser` would send. */
function cookieHeader(browser: DashboardClient): string {
  return [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
}

/** Fails `job` permanently with `error`, as a worker would. */
async function failJob(job: BfJob, error: string): Promise<void> {
  const [held] = await BfJob.claimBatch("w-test", {
    types: [job.props.type],
    queues: [job.props.queue],
  });
  assert.equal(held?.id, job.id);
  await BfJob.failMany("w-test", [{
    id: job.id,
    attempt: held.props.attempts,
    error,
    permanent: true,
  }]);
}

/** The page holds no markup of ours but the one script tag, and no injected element. */
function assertNoInjection(body: string, where: string): void {
  for (const hostile of HOSTILE) {
    assert.ok(!body.includes(hostile), `${where}: ${hostile} appears raw`);
  }
  const scripts = body.match(/<script\b[^>]*>/gi) ?? [];
  assert.deepEqual(
    scripts,
    ['<script src="/dashboard/assets/dashboard.js" defer>'],
    where,
  );
  assert.ok(!/<img\b|<svg onload/i.test(body), `${where}: injected element`);
}

dbTest(
  "every page escapes what jobs, errors, orgs, queues and filters carry",
  async () => {
    await using server = await startDashboardServer({ hosts: [] });
    const browser = new DashboardClient(server.url);
    const hostileOrg = CurrentViewer.forOrg(HOSTILE[1]);
    const job = await BfJob.create({
      type: HOSTILE[0],
      payload: { note: HOSTILE[3], list: HOSTILE },
      queue: HOSTILE[2],
    }, hostileOrg);
    await failJob(job, `boom ${HOSTILE[1]} ${HOSTILE[3]}`);
    await BfJob.create({ type: HOSTILE[3], payload: HOSTILE[0] }, hostileOrg);
    await setQueueSettings(HOSTILE[1], { paused: true });
    await BfJobSchedule.upsert([{
      name: "nightly",
      cron: "0 3 * * *",
      timezone: "UTC",
      type: HOSTILE[0],
      payload: { x: HOSTILE[1] },
    }]);

    const pages = [
      "/dashboard",
      "/dashboard/jobs",
      `/dashboard/jobs?${new URLSearchParams({ text: HOSTILE[1] })}`,
      `/dashboard/jobs?${new URLSearchParams({
        org: HOSTILE[1],
        type: HOSTILE[0],
      })}`,
      `/dashboard/jobs/${encodeURIComponent(job.id)}`,
      `/dashboard/jobs/${encodeURIComponent(HOSTILE[0])}`,
      "/dashboard/queues",
      "/dashboard/schedules",
    ];
    for (const path of pages) {
      const page = await browser.get(path);
      assert.ok([200, 404].includes(page.status), `${path}: ${page.status}`);
      assertNoInjection(page.body, path);
    }
    // The hostile values are there, as text.
    const detail = await browser.get(`/dashboard/jobs/${job.id}`);
    assert.ok(detail.body.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(
      detail.body.includes("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
    );
    const filtered = await browser.get(
      `/dashboard/jobs?${new URLSearchParams({ text: "onerror" })}`,
    );
    assert.ok(filtered.body.includes(`data-job="${job.id}"`));

    // A confirmation page and a refusal notice carry the target back: escaped too.
    const csrf = await browser.csrf();
    const confirm = await browser.post("/dashboard/actions/retry", {
      csrf,
      id: HOSTILE[1],
      back: "/dashboard/jobs",
    });
    assert.equal(confirm.status, 200);
    assertNoInjection(confirm.body, "confirm page");
    const refused = await browser.post("/dashboard/actions/retry", {
      csrf,
      id: HOSTILE[1],
      confirmed: "1",
      back: "/dashboard/jobs",
    });
    assert.equal(refused.status, 303);
    const after = await browser.get(refused.headers.get("location")!);
    assert.match(after.body, /class="error"/);
    assertNoInjection(after.body, "refusal notice");

    // Every page forbids inline scripts, framing and foreign sources.
    const csp = detail.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(detail.headers.get("x-content-type-options"), "nosniff");
  },
);

dbTest(
  "an action is asked, then done, and leaves an audit line; without asking nothing changes",
  async () => {
    await using server = await startDashboardServer({ hosts: [] });
    const browser = new DashboardClient(server.url);
    const job = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    await failJob(job, "broken");
    const csrf = await browser.csrf(`/dashboard/jobs/${job.id}`);

    const asked = await browser.post("/dashboard/actions/retry", {
      csrf,
      id: job.id,
      back: `/dashboard/jobs/${job.id}`,
    });
    assert.equal(asked.status, 200);
    assert.match(asked.body, /Retry job .* with a fresh set of attempts\?/);
    assert.equal((await jobRow(job.id)).status, "failed");

    const done = await browser.post("/dashboard/actions/retry", {
      csrf,
      id: job.id,
      confirmed: "1",
      back: `/dashboard/jobs/${job.id}`,
    });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get("location"), `/dashboard/jobs/${job.id}`);
    assert.equal((await jobRow(job.id)).status, "available");
    const shown = await browser.get(done.headers.get("location")!);
    assert.match(shown.body, /is waiting to run again/);
    // The notice is shown once.
    const again = await browser.get(done.headers.get("location")!);
    assert.doesNotMatch(again.body, /is waiting to run again/);

    const audit = server.logs.filter((l) => l.msg === "dashboard action");
    assert.equal(audit.length, 1);
    assert.equal(audit[0].action, "retry");
    assert.deepEqual(audit[0].target, { id: job.id });
    assert.equal((audit[0].who as { via: string }).via, "loopback");
    assert.equal((audit[0].who as { remote: string }).remote, "127.0.0.1");
    assert.ok(audit[0].ts, "when: the line's timestamp");

    // `back` cannot send the browser off the dashboard.
    await failJob(job, "broken again");
    const offsite = await browser.post("/dashboard/actions/retry", {
      csrf,
      id: job.id,
      confirmed: "1",
      back: "//evil.example/dashboard",
    });
    assert.equal(offsite.headers.get("location"), "/dashboard");
  },
);

dbTest(
  "forged requests are refused and change nothing: cross-origin, no token, wrong token, JSON, rebound host",
  async () => {
    await using server = await startDashboardServer({ hosts: [] });
    const browser = new DashboardClient(server.url);
    const job = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    await failJob(job, "broken");
    const csrf = await browser.csrf();
    const retry = { id: job.id, confirmed: "1", back: "/dashboard" };

    const attempts: [string, () => Promise<{ status: number }>, number][] = [
      [
        "cross-origin form post (another site's page)",
        () =>
          browser.post("/dashboard/actions/retry", { ...retry, csrf }, {
            origin: "http://evil.example",
            "sec-fetch-site": "cross-site",
          }),
        403,
      ],
      [
        "cross-site without Origin",
        () =>
          browser.post("/dashboard/actions/retry", { ...retry, csrf }, {
            "sec-fetch-site": "cross-site",
          }),
        403,
      ],
      [
        "no CSRF token",
        () => browser.post("/dashboard/actions/retry", retry),
        403,
      ],
      [
        "another browser's CSRF token",
        async () =>
          await new DashboardClient(server.url).post(
            "/dashboard/actions/retry",
            { ...retry, csrf },
          ),
        403,
      ],
      [
        "a made-up CSRF token",
        () =>
          browser.post("/dashboard/actions/retry", {
            ...retry,
            csrf: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
          }),
        403,
      ],
      [
        "JSON instead of a form",
        async () => {
          const response = await fetch(
            `${server.url}/dashboard/actions/retry`,
            {
              method: "POST",
              headers: {
                "content-type": "application/json",
                cookie: cookieHeader(browser),
              },
              body: JSON.stringify({ ...retry, csrf }),
            },
          );
          await response.body?.cancel();
          return response;
        },
        415,
      ],
      [
        "a DNS-rebound host name",
        () =>
          rawRequest(server.port, {
            path: "/dashboard/actions/retry",
            headers: {
              host: "attacker.example",
              "content-type": "application/x-www-form-urlencoded",
              cookie: cookieHeader(browser),
            },
            body: new URLSearchParams({ ...retry, csrf }).toString(),
          }),
        403,
      ],
    ];
    for (const [what, send, status] of attempts) {
      assert.equal((await send()).status, status, what);
      assert.equal((await jobRow(job.id)).status, "failed", what);
    }
    const rebound = await rawRequest(server.port, {
      method: "GET",
      path: "/dashboard",
      headers: { host: "attacker.example", cookie: cookieHeader(browser) },
    });
    assert.equal(rebound.status, 403);
    const refusals = server.logs.filter((l) =>
      l.msg === "dashboard request refused"
    );
    assert.equal(refusals.length, attempts.length + 1);

    // The same browser, asking properly, may.
    const ok = await browser.post("/dashboard/actions/retry", {
      ...retry,
      csrf,
    });
    assert.equal(ok.status, 303);
    assert.equal((await jobRow(job.id)).status, "available");
  },
);

/** This machine's first non-loopback IPv4 address, if it has one. */
const OTHER_ADDRESS = Deno.networkInterfaces().find((i) =>
  i.family === "IPv4" && !i.address.startsWith("127.")
)?.address;

Deno.test({
  name:
    "without DASHBOARD_TOKEN the dashboard answers this machine's loopback callers only",
  ignore: OTHER_ADDRESS === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withTestDatabase(async () => {
      await using server = await startDashboardServer({ hosts: [] });
      const job = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
      await failJob(job, "broken");
      const page = await rawRequest(server.port, {
        method: "GET",
        path: "/dashboard/jobs",
        connectTo: OTHER_ADDRESS,
      });
      assert.equal(page.status, 403);
      assert.match(page.body, /local only; set DASHBOARD_TOKEN/);
      assert.doesNotMatch(page.body, new RegExp(job.id));
      const action = await rawRequest(server.port, {
        path: "/dashboard/actions/retry",
        connectTo: OTHER_ADDRESS,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ id: job.id, confirmed: "1" }).toString(),
      });
      assert.equal(action.status, 403);
      assert.equal((await jobRow(job.id)).status, "failed");
      // The same requests from loopback are served.
      const local = await rawRequest(server.port, {
        method: "GET",
        path: "/dashboard/jobs",
      });
      assert.equal(local.status, 200);
    }),
});

dbTest(
  "with DASHBOARD_TOKEN: pages ask for a login; the session is an HttpOnly, SameSite=Strict cookie",
  async () => {
    await using server = await startDashboardServer({
      token: TOKEN,
      hosts: [],
    });
    const browser = new DashboardClient(server.url);
    const job = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    await failJob(job, "broken");

    const first = await browser.get("/dashboard/jobs?status=failed");
    assert.equal(first.status, 303);
    assert.equal(
      first.headers.get("location"),
      "/dashboard/login?next=%2Fdashboard%2Fjobs%3Fstatus%3Dfailed",
    );
    const form = await browser.get(first.headers.get("location")!);
    assert.equal(form.status, 200);
    assert.match(form.body, /type="password" name="token"/);

    const wrong = await browser.post("/dashboard/login", {
      token: "not-the-token-at-all",
      next: "/dashboard/jobs?status=failed",
    });
    assert.equal(wrong.status, 401);
    assert.equal(browser.cookies.has("bfjobs_session"), false);
    // An action without a session is refused (not redirected), and changes nothing.
    const anonymous = await browser.post("/dashboard/actions/retry", {
      id: job.id,
      confirmed: "1",
    });
    assert.equal(anonymous.status, 401);
    assert.equal((await jobRow(job.id)).status, "failed");
    // A login posted from another site is refused.
    const forgedLogin = await browser.post("/dashboard/login", {
      token: TOKEN,
    }, { origin: "http://evil.example" });
    assert.equal(forgedLogin.status, 403);

    const login = await browser.post("/dashboard/login", {
      token: TOKEN,
      next: "/dashboard/jobs?status=failed",
    });
    assert.equal(login.status, 303);
    assert.equal(
      login.headers.get("location"),
      "/dashboard/jobs?status=failed",
    );
    const cookie = login.headers.getSetCookie().find((c) =>
      c.startsWith("bfjobs_session=")
    )!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    assert.match(cookie, /Path=\/dashboard/);
    assert.doesNotMatch(
      cookie,
      new RegExp(TOKEN),
      "the cookie is not the token",
    );

    const list = await browser.get("/dashboard/jobs?status=failed");
    assert.equal(list.status, 200);
    assert.match(list.body, new RegExp(job.id));
    const csrf = await browser.csrf();
    const retried = await browser.post("/dashboard/actions/retry", {
      csrf,
      id: job.id,
      confirmed: "1",
    });
    assert.equal(retried.status, 303);
    assert.equal((await jobRow(job.id)).status, "available");
    const audit = server.logs.find((l) => l.msg === "dashboard action")!;
    assert.equal((audit.who as { via: string }).via, "login");

    // A bearer header (scripts, bft) works without the cookie.
    const scripted = new DashboardClient(server.url, {
      authorization: `Bearer ${TOKEN}`,
    });
    assert.equal((await scripted.get("/dashboard")).status, 200);
    // A forged session cookie does not.
    const forged = new DashboardClient(server.url);
    forged.cookies.set("bfjobs_session", `${Date.now() + 3_600_000}.forged`);
    assert.equal((await forged.get("/dashboard")).status, 303);

    const logout = await browser.post("/dashboard/logout", { csrf });
    assert.equal(logout.status, 303);
    assert.equal((await browser.get("/dashboard")).status, 303);
  },
);

dbTest(
  "DASHBOARD_READONLY: no action is offered and none is done",
  async () => {
    await using server = await startDashboardServer({
      hosts: [],
      readOnly: true,
    });
    const browser = new DashboardClient(server.url);
    const job = await BfJob.create({ type: "t", payload: {} }, TEST_CV);
    await failJob(job, "broken");
    await setQueueSettings("q", { globalConcurrency: 2 });
    for (
      const path of [
        "/dashboard",
        `/dashboard/jobs/${job.id}`,
        "/dashboard/queues",
      ]
    ) {
      const page = await browser.get(path);
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.body, /\/dashboard\/actions\//, path);
      assert.match(page.body, /read-only/, path);
    }
    const csrf = await browser.csrf();
    const refused = await browser.post("/dashboard/actions/retry", {
      csrf,
      id: job.id,
      confirmed: "1",
    });
    assert.equal(refused.status, 403);
    assert.equal((await jobRow(job.id)).status, "failed");
    const pause = await browser.post("/dashboard/actions/pause-queue", {
      csrf,
      name: "q",
      confirmed: "1",
    });
    assert.equal(pause.status, 403);
  },
);

dbTest(
  "the job list pages by keyset, newest first, and filters by status, type, queue, org and text",
  async () => {
    await using server = await startDashboardServer({ hosts: [] });
    const browser = new DashboardClient(server.url);
    const jobs = [];
    for (let i = 0; i < 7; i++) {
      jobs.push(
        ...await BfJob.createMany(
          Array.from({ length: 15 }, (_, j) => ({
            type: i % 2 ? "odd" : "even",
            queue: i < 5 ? "default" : "late",
            payload: { n: i * 15 + j, tag: j === 3 ? "50%_off" : "plain" },
          })),
          i === 6 ? CurrentViewer.forOrg("org_other") : TEST_CV,
        ),
      );
    }
    const ids = jobs.map((j) => j.id).sort().reverse();
    const idsOn = (body: string) =>
      [...body.matchAll(/data-job="([^"]+)"/g)].map((m) => m[1]);

    // Forward through three pages of 50, then back.
    const seen: string[] = [];
    const pages: string[][] = [];
    let path = "/dashboard/jobs?limit=50";
    while (path) {
      const page = await browser.get(path);
      assert.equal(page.status, 200, page.body);
      pages.push(idsOn(page.body));
      seen.push(...pages.at(-1)!);
      const older = /<a rel="next" href="([^"]+)"/.exec(page.body)?.[1];
      path = older ? older.replaceAll("&amp;", "&") : "";
    }
    assert.deepEqual(seen, ids, "every job once, newest first");
    assert.deepEqual(pages.map((p) => p.length), [50, 50, 5]);
    const last = await browser.get(
      `/dashboard/jobs?limit=50&before=${pages[1].at(-1)}`,
    );
    const newer = /<a rel="prev" href="([^"]+)"/.exec(last.body)![1];
    const back = await browser.get(newer.replaceAll("&amp;", "&"));
    assert.deepEqual(idsOn(back.body), pages[1], "newer goes back exactly");

    const count = async (query: Record<string, string>) =>
      idsOn(
        (await browser.get(
          `/dashboard/jobs?${new URLSearchParams({ limit: "200", ...query })}`,
        )).body,
      ).length;
    assert.equal(await count({ type: "odd" }), 45);
    assert.equal(await count({ queue: "late" }), 30);
    assert.equal(await count({ org: "org_other" }), 15);
    assert.equal(await count({ status: "available", type: "even" }), 60);
    assert.equal(await count({ status: "completed" }), 0);
    // LIKE's wildcards are plain characters in a text filter.
    assert.equal(await count({ text: "50%_off" }), 7);
    assert.equal(await count({ text: "%" }), 7);

    const bad = await browser.get("/dashboard/jobs?status=exploded");
    assert.equal(bad.status, 400);
    assert.match(bad.body, /status must be one of/);
    assert.equal((await browser.get("/dashboard/jobs?limit=0")).status, 400);
    assert.equal(
      (await browser.get(`/dashboard/jobs?text=${"x".repeat(201)}`)).status,
      400,
    );
  },
);
