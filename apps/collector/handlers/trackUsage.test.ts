import assert from "node:assert/strict";
import { dbTest } from "@bfmono/apps/bfDb/testing/testDatabase.ts";
import { PermanentJobError } from "../worker/handler.ts";
import { PayloadValidationError } from "../worker/standardSchema.ts";
import { createTestContext, runHandler } from "../testing/testContext.ts";
import { createTrackUsageHandler } from "./trackUsage.ts";

interface Captured {
  method: string;
  path: string;
  contentType: string | null;
  body: Record<string, unknown>;
}

/** A local HTTP server standing in for PostHog; `respond` decides each answer. */
function fakePostHog(
  respond: (req: Request) => Response | Promise<Response> = () =>
    Response.json({ status: "Ok" }),
) {
  const requests: Captured[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const text = await req.text();
      requests.push({
        method: req.method,
        path: url.pathname,
        contentType: req.headers.get("content-type"),
        body: JSON.parse(text),
      });
      return await respond(req);
    },
  );
  return {
    host: `http://127.0.0.1:${server.addr.port}`,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const EVENT = {
  event: "song_played",
  distinctId: "person_42",
  properties: { song: "Hallel", plan: "pro" },
};

function payloadOf(event: Record<string, unknown>) {
  return { event };
}

dbTest(
  "track_usage posts the event with the job id as uuid, the same on every attempt",
  async () => {
    await using posthog = fakePostHog();
    const handler = createTrackUsageHandler({
      host: posthog.host,
      apiKey: "phc_test",
    });
    const { ctx } = await createTestContext({
      type: "track_usage",
      payload: payloadOf(EVENT),
    });

    await runHandler(handler, payloadOf(EVENT), ctx);
    await runHandler(handler, payloadOf(EVENT), { ...ctx, attempt: 2 });

    assert.equal(posthog.requests.length, 2);
    const [first, second] = posthog.requests;
    assert.equal(first.method, "POST");
    assert.equal(first.path, "/i/v0/e/");
    assert.equal(first.contentType, "application/json");
    assert.deepEqual(first.body, {
      api_key: "phc_test",
      event: "song_played",
      distinct_id: "person_42",
      properties: { song: "Hallel", plan: "pro" },
      timestamp: ctx.job.metadata.createdAt.toISOString(),
      uuid: ctx.jobId,
    });
    assert.match(
      ctx.jobId,
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.deepEqual(
      second.body,
      first.body,
      "a retry sends the same uuid and timestamp",
    );
  },
);

dbTest(
  "track_usage keeps the event's own uuid and timestamp across runs",
  async () => {
    await using posthog = fakePostHog();
    const handler = createTrackUsageHandler({
      host: `${posthog.host}/`,
      apiKey: "phc_test",
    });
    const event = {
      event: "signed_up",
      distinctId: "person_7",
      timestamp: "2025-07-29T10:00:00.000Z",
      uuid: "0198534c-1111-7aaa-8bbb-123456789abc",
    };
    const { ctx } = await createTestContext({
      type: "track_usage",
      payload: payloadOf(event),
    });

    await runHandler(handler, payloadOf(event), ctx);
    await runHandler(handler, payloadOf(event), ctx);

    assert.equal(posthog.requests.length, 2);
    for (const request of posthog.requests) {
      assert.equal(
        request.path,
        "/i/v0/e/",
        "a trailing slash on the host is not doubled",
      );
      assert.equal(request.body.uuid, event.uuid);
      assert.equal(request.body.timestamp, event.timestamp);
      assert.equal(request.body.distinct_id, "person_7");
      assert.equal("properties" in request.body, false);
    }
  },
);

dbTest(
  "track_usage keeps a path prefix of the host (a reverse proxy)",
  async () => {
    await using posthog = fakePostHog();
    const handler = createTrackUsageHandler({
      host: `${posthog.host}/ingest`,
      apiKey: "k",
    });
    const { ctx } = await createTestContext({
      type: "track_usage",
      payload: payloadOf(EVENT),
    });
    await runHandler(handler, payloadOf(EVENT), ctx);
    assert.equal(posthog.requests[0].path, "/ingest/i/v0/e/");
  },
);

for (const status of [500, 503, 429, 408]) {
  dbTest(`track_usage: ${status} is a retryable error`, async () => {
    await using posthog = fakePostHog(() =>
      new Response("slow down", { status })
    );
    const handler = createTrackUsageHandler({
      host: posthog.host,
      apiKey: "phc_test",
    });
    const { ctx } = await createTestContext({
      type: "track_usage",
      payload: payloadOf(EVENT),
    });
    const error = await runHandler(handler, payloadOf(EVENT), ctx).then(
      () => assert.fail("expected a rejection"),
      (e) => e,
    );
    assert.ok(error instanceof Error);
    assert.ok(!(error instanceof PermanentJobError), "must be retried");
    assert.match(error.message, new RegExp(`${status}: slow down`));
  });
}

dbTest(
  "track_usage: 400 is a permanent error with the status and a body excerpt",
  async () => {
    const longBody = JSON.stringify({
      type: "validation_error",
      detail: "Invalid distinct_id " + "x".repeat(5000),
    });
    await using posthog = fakePostHog(() =>
      new Response(longBody, { status: 400 })
    );
    const handler = createTrackUsageHandler({
      host: posthog.host,
      apiKey: "phc_secret",
    });
    const { ctx } = await createTestContext({
      type: "track_usage",
      payload: payloadOf(EVENT),
    });
    await assert.rejects(
      runHandler(handler, payloadOf(EVENT), ctx),
      (error: Error) => {
        assert.ok(error instanceof PermanentJobError);
        assert.match(
          error.message,
          /^PostHog capture answered 400: \{"type":"validation_error"/,
        );
        assert.ok(error.message.length < 300, "only an excerpt of the body");
        assert.ok(!error.message.includes("phc_secret"));
        return true;
      },
    );
  },
);

dbTest("track_usage: 401 and 404 are permanent", async () => {
  for (const status of [401, 404]) {
    await using posthog = fakePostHog(() => new Response(null, { status }));
    const handler = createTrackUsageHandler({
      host: posthog.host,
      apiKey: "phc_test",
    });
    const { ctx } = await createTestContext({
      type: "track_usage",
      payload: payloadOf(EVENT),
    });
    await assert.rejects(
      runHandler(handler, payloadOf(EVENT), ctx),
      (error: Error) =>
        error instanceof PermanentJobError &&
        error.message === `PostHog capture answered ${status}`,
    );
  }
});

dbTest("track_usage: a refused connection is a retryable error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const handler = createTrackUsageHandler({
    host: `http://127.0.0.1:${port}`,
    apiKey: "k",
  });
  const { ctx } = await createTestContext({
    type: "track_usage",
    payload: payloadOf(EVENT),
  });
  await assert.rejects(
    runHandler(handler, payloadOf(EVENT), ctx),
    (error: Error) => {
      assert.ok(!(error instanceof PermanentJobError));
      assert.match(error.message, /^PostHog capture failed: network error/);
      return true;
    },
  );
});

/** A server that answers only when released (at disposal). */
function hangingPostHog() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let answered = false;
  const posthog = fakePostHog(async () => {
    await released;
    answered = true;
    return new Response("late");
  });
  return {
    posthog,
    get answered() {
      return answered;
    },
    async [Symbol.asyncDispose]() {
      release();
      await posthog[Symbol.asyncDispose]();
    },
  };
}

dbTest("track_usage: the job's signal aborts the request", async () => {
  await using hanging = hangingPostHog();
  const handler = createTrackUsageHandler({
    host: hanging.posthog.host,
    apiKey: "k",
  });
  const { ctx, controller } = await createTestContext({
    type: "track_usage",
    payload: payloadOf(EVENT),
  });
  const run = runHandler(handler, payloadOf(EVENT), ctx);
  while (hanging.posthog.requests.length === 0) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const reason = new Error("job timed out");
  controller.abort(reason);
  await assert.rejects(run, (error) => error === reason);
  assert.equal(
    hanging.answered,
    false,
    "the handler gave up while the server still hung",
  );
});

dbTest("track_usage: an already aborted signal sends nothing", async () => {
  await using posthog = fakePostHog();
  const handler = createTrackUsageHandler({ host: posthog.host, apiKey: "k" });
  const { ctx, controller } = await createTestContext({
    type: "track_usage",
    payload: payloadOf(EVENT),
  });
  controller.abort(new Error("shutting down"));
  await assert.rejects(
    runHandler(handler, payloadOf(EVENT), ctx),
    /shutting down/,
  );
  assert.equal(posthog.requests.length, 0);
});

dbTest(
  "track_usage: a request that outlasts requestTimeoutMs is a retryable error",
  async () => {
    await using hanging = hangingPostHog();
    const handler = createTrackUsageHandler({
      host: hanging.posthog.host,
      apiKey: "k",
      requestTimeoutMs: 100,
    });
    const { ctx } = await createTestContext({
      type: "track_usage",
      payload: payloadOf(EVENT),
    });
    await assert.rejects(
      runHandler(handler, payloadOf(EVENT), ctx),
      (error: Error) => {
        assert.ok(!(error instanceof PermanentJobError));
        assert.equal(
          error.message,
          "PostHog capture failed: no answer within 100 ms",
        );
        return true;
      },
    );
    assert.equal(
      ctx.signal.aborted,
      false,
      "the job's own signal is untouched",
    );
  },
);

dbTest("track_usage uses an injected fetch", async () => {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fakeFetch: typeof fetch = (input, init) => {
    calls.push({ url: String(input), init });
    return Promise.resolve(new Response("{}", { status: 200 }));
  };
  const handler = createTrackUsageHandler({
    host: "https://eu.i.posthog.com",
    apiKey: "phc_eu",
    fetch: fakeFetch,
  });
  const { ctx } = await createTestContext({
    type: "track_usage",
    payload: payloadOf(EVENT),
  });
  await runHandler(handler, payloadOf(EVENT), ctx);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, "https://eu.i.posthog.com/i/v0/e/");
  assert.ok(calls[0].init?.signal instanceof AbortSignal);
  assert.equal(JSON.parse(String(calls[0].init?.body)).api_key, "phc_eu");
});

dbTest(
  "track_usage rejects malformed payloads before sending anything",
  async () => {
    await using posthog = fakePostHog();
    const handler = createTrackUsageHandler({
      host: posthog.host,
      apiKey: "k",
    });
    const { ctx } = await createTestContext({ type: "track_usage" });
    const bad = [
      {},
      { event: { event: "x" } },
      { event: { event: "", distinctId: "p" } },
      { event: { event: "x", distinctId: "p", uuid: "not-a-uuid" } },
      { event: { event: "x", distinctId: "p", timestamp: "yesterday" } },
      { event: { event: "x", distinctId: "p", properties: [1, 2] } },
    ];
    for (const payload of bad) {
      await assert.rejects(
        runHandler(handler, payload, ctx),
        PayloadValidationError,
      );
    }
    assert.equal(posthog.requests.length, 0);
  },
);

Deno.test("createTrackUsageHandler checks its options", () => {
  assert.throws(
    () => createTrackUsageHandler({ host: "", apiKey: "k" }),
    TypeError,
  );
  assert.throws(
    () => createTrackUsageHandler({ host: "ftp://x", apiKey: "k" }),
    TypeError,
  );
  assert.throws(
    () => createTrackUsageHandler({ host: "https://x", apiKey: " " }),
    TypeError,
  );
  assert.throws(
    () =>
      createTrackUsageHandler({
        host: "https://x",
        apiKey: "k",
        requestTimeoutMs: 0,
      }),
    TypeError,
  );
  assert.equal(
    createTrackUsageHandler({ host: "https://x", apiKey: "k" }).type,
    "track_usage",
  );
});
