// The operator routes against a web page in an operator's browser (issue 17, security): a
// cross-origin or form POST, a rebound host name, or a missing token is refused and changes
// nothing, while the CLI's own requests go through. Raw HTTP, so every header is the test's.
import assert from "node:assert/strict";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { jobRow, TEST_CV } from "@bfmono/apps/bfDb/testing/jobRows.ts";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { KNOWN_JOB_TYPES } from "../handlers/knownJobTypes.ts";
import { httpOperatorCommands } from "../ops/operatorHttpClient.ts";
import { localOperatorCommands } from "../ops/operatorCommands.ts";
import { capturingLogger } from "../testing/capturingLogger.ts";
import { rawRequest as raw } from "../testing/rawHttp.ts";
import { Worker } from "../worker/worker.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { startHttpServer } from "./httpServer.ts";
import type { OperatorAccess } from "../web/operatorAccess.ts";

const TOKEN = "s3cret-token-0123456789";

async function serve(access?: OperatorAccess) {
  const { logger, logs } = capturingLogger();
  const server = await startHttpServer({
    port: 0,
    worker: new Worker({ handlers: [] }),
    service: "test",
    environment: "test",
    logger,
    operator: localOperatorCommands(KNOWN_JOB_TYPES),
    access,
  });
  return {
    port: server.port,
    logs,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function failedJob(): Promise<string> {
  const job = await BfJob.create(
    { type: "process_new_record", payload: { record_id: "r" }, maxAttempts: 1 },
    TEST_CV,
  );
  const claimed = await BfJob.claimNext("w-test", {
    types: ["process_new_record"],
  });
  assert.equal(claimed?.id, job.id);
  assert.equal(await claimed!.fail(new Error("boom")), "failed");
  return job.id;
}

const JSON_TYPE = { "content-type": "application/json" };

dbTest(
  "a page's cross-site requests are refused and change nothing; the CLI's go through",
  async () => {
    const id = await failedJob();
    await using server = await serve();
    const retry = JSON.stringify({ id });
    for (
      const [what, headers, status] of [
        ["a cross-origin fetch", {
          ...JSON_TYPE,
          origin: "http://evil.example",
        }, 403],
        [
          "a form post",
          { "content-type": "application/x-www-form-urlencoded" },
          415,
        ],
        ["a no-cors text post", { "content-type": "text/plain" }, 415],
        [
          "a cross-site fetch",
          { ...JSON_TYPE, "sec-fetch-site": "cross-site" },
          403,
        ],
        ["a rebound host name", {
          ...JSON_TYPE,
          host: `evil.example:${server.port}`,
        }, 403],
        ["an origin of null", { ...JSON_TYPE, origin: "null" }, 403],
      ] as const
    ) {
      const answer = await raw(server.port, {
        path: "/ops/retry",
        headers: headers as Record<string, string>,
        body: retry,
      });
      assert.equal(answer.status, status, `${what}: ${answer.body}`);
      assert.equal(
        (await jobRow(id)).status,
        "failed",
        `${what} changed nothing`,
      );
    }
    const refusedStatus = await raw(server.port, {
      method: "GET",
      path: "/ops/status",
      headers: { host: "rebound.example" },
    });
    assert.equal(refusedStatus.status, 403);
    assert.ok(server.logs.some((l) => l.msg === "operator request refused"));
    // The CLI's request: JSON, no Origin, this machine's address.
    const ops = httpOperatorCommands(`http://127.0.0.1:${server.port}`);
    assert.deepEqual(await ops.retry({ id }), { retried: [id] });
    assert.equal((await jobRow(id)).status, "available");
    // A same-origin page (the dashboard to come) may post JSON too.
    const sameOrigin = await raw(server.port, {
      path: "/ops/show",
      headers: {
        ...JSON_TYPE,
        origin: `http://127.0.0.1:${server.port}`,
        "sec-fetch-site": "same-origin",
      },
      body: JSON.stringify({ id }),
    });
    assert.equal(sameOrigin.status, 200, sameOrigin.body);
  },
);

dbTest(
  "with DASHBOARD_TOKEN every operator request needs it as a bearer token",
  async () => {
    const id = await failedJob();
    await using server = await serve({
      token: TOKEN,
      hosts: ["ops.example.com"],
    });
    for (
      const authorization of [undefined, "Bearer wrong-token-0123456789", TOKEN]
    ) {
      const answer = await raw(server.port, {
        path: "/ops/retry",
        headers: { ...JSON_TYPE, ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ id }),
      });
      assert.equal(answer.status, 401, String(authorization));
    }
    assert.equal((await jobRow(id)).status, "failed");
    await assert.rejects(
      httpOperatorCommands(`http://127.0.0.1:${server.port}`).status(),
      /401.*DASHBOARD_TOKEN/,
    );
    // A configured name is accepted, with the token.
    const named = await raw(server.port, {
      method: "GET",
      path: "/ops/status",
      headers: { host: "ops.example.com", authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(named.status, 200, named.body);
    const ops = httpOperatorCommands(`http://127.0.0.1:${server.port}`, TOKEN);
    assert.deepEqual(await ops.retry({ id }), { retried: [id] });
  },
);

dbTest(
  "DASHBOARD_READONLY: reading goes on, every action is refused",
  async () => {
    const id = await failedJob();
    await using server = await serve({ hosts: [], readOnly: true });
    const ops = httpOperatorCommands(`http://127.0.0.1:${server.port}`);
    assert.equal((await ops.show({ id })).id, id);
    await assert.rejects(ops.retry({ id }), /403.*read-only/);
    await assert.rejects(
      ops.prune({ olderThanMs: 1 } as never),
      /403.*read-only/,
    );
    assert.equal((await jobRow(id)).status, "failed");
  },
);

Deno.test("DASHBOARD_TOKEN and DASHBOARD_HOSTS: bad values name the variable", () => {
  for (
    const [env, variable] of [
      [{ DASHBOARD_TOKEN: "short" }, "DASHBOARD_TOKEN"],
      [{ DASHBOARD_TOKEN: "has a space in it 0123456789" }, "DASHBOARD_TOKEN"],
      [{ DASHBOARD_HOSTS: "ops.example.com:8080" }, "DASHBOARD_HOSTS"],
      [{ DASHBOARD_HOSTS: "<script>" }, "DASHBOARD_HOSTS"],
      [{ DASHBOARD_READONLY: "yes" }, "DASHBOARD_READONLY"],
    ] as const
  ) {
    assert.throws(
      () => loadConfig(env),
      (e: Error) => e instanceof ConfigError && e.variable === variable,
    );
  }
  assert.deepEqual(
    loadConfig({
      DASHBOARD_TOKEN: TOKEN,
      DASHBOARD_HOSTS: "Ops.Example.com, [::1]",
    })
      .operatorAccess,
    { token: TOKEN, hosts: ["ops.example.com", "[::1]"], readOnly: false },
  );
});
