import assert from "node:assert/strict";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import { loadConfig } from "../process/config.ts";
import { HandlerRegistry } from "../worker/registry.ts";
import { productHandlers } from "./productHandlers.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: "collector-test",
    environment: "test",
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { log, lines };
}

Deno.test("productHandlers includes track_usage when PostHog is configured", () => {
  const { log, lines } = capture();
  const config = loadConfig({
    POSTHOG_HOST: "https://us.i.posthog.com",
    POSTHOG_API_KEY: "phc_test",
  });
  const { handlers, disabled } = productHandlers(config, log);
  assert.deepEqual(new HandlerRegistry(handlers).types, [
    "cleanup_auth_tokens",
    "process_new_record",
    "track_usage",
  ]);
  assert.deepEqual(disabled, []);
  assert.deepEqual(lines, []);
});

Deno.test("productHandlers disables track_usage without PostHog settings and says why", () => {
  for (const env of [{}, { POSTHOG_HOST: "https://us.i.posthog.com" }]) {
    const { log, lines } = capture();
    const { handlers, disabled } = productHandlers(loadConfig(env), log);
    assert.deepEqual(new HandlerRegistry(handlers).types, [
      "cleanup_auth_tokens",
      "process_new_record",
    ]);
    assert.deepEqual(disabled, ["track_usage"]);
    assert.equal(lines.length, 1);
    assert.equal(lines[0].msg, "handler disabled");
    assert.equal(lines[0].handler, "track_usage");
    assert.match(String(lines[0].reason), /POSTHOG_HOST and POSTHOG_API_KEY/);
  }
});

Deno.test("productHandlers works without a logger", () => {
  const { disabled } = productHandlers(loadConfig({}));
  assert.deepEqual(disabled, ["track_usage"]);
});
