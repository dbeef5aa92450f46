import assert from "node:assert/strict";
import {
  createLogger,
  type LoggerOptions,
  type LogLevel,
  parseLogLevel,
  stringify,
} from "./logger.ts";

const TS = "2025-01-02T03:04:05.678Z";

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: { line: string; level: LogLevel }[] = [];
  const log = createLogger({
    service: "collector",
    environment: "test",
    now: () => new Date(TS),
    write: (line, level) => lines.push({ line, level }),
    ...options,
  });
  return { log, lines };
}

Deno.test("writes one JSON object with the core keys first, then fields", () => {
  const { log, lines } = capture();
  log.info("job completed", { ms: 12, ok: true });
  assert.equal(lines.length, 1);
  assert.equal(
    lines[0].line,
    `{"level":"info","ts":"${TS}","msg":"job completed","service":"collector","environment":"test","ms":12,"ok":true}`,
  );
  assert.equal(lines[0].level, "info");
});

Deno.test("child binds fields on every line; call fields win", () => {
  const { log, lines } = capture();
  const job = log.child({ jobId: "j1", jobType: "track_usage" });
  job.warn("retrying", { attempt: 2 });
  job.child({ attempt: 1 }).error("failed", { attempt: 3 });
  log.info("plain");
  assert.deepEqual(lines.map((l) => JSON.parse(l.line)), [
    {
      level: "warn",
      ts: TS,
      msg: "retrying",
      service: "collector",
      environment: "test",
      jobId: "j1",
      jobType: "track_usage",
      attempt: 2,
    },
    {
      level: "error",
      ts: TS,
      msg: "failed",
      service: "collector",
      environment: "test",
      jobId: "j1",
      jobType: "track_usage",
      attempt: 3,
    },
    {
      level: "info",
      ts: TS,
      msg: "plain",
      service: "collector",
      environment: "test",
    },
  ]);
});

Deno.test("fields cannot overwrite the core keys", () => {
  const { log, lines } = capture();
  log.child({ service: "evil" }).info("m", { level: "error", msg: "x" });
  const o = JSON.parse(lines[0].line);
  assert.equal(o.level, "info");
  assert.equal(o.msg, "m");
  assert.equal(o.service, "collector");
  assert.equal(o.field_service, "evil");
  assert.equal(o.field_level, "error");
  assert.equal(o.field_msg, "x");
});

Deno.test("level filtering drops lines below the minimum", () => {
  const { log, lines } = capture({ level: "warn" });
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  log.child({ a: 1 }).info("child i");
  assert.deepEqual(lines.map((l) => JSON.parse(l.line).msg), ["w", "e"]);
  assert.equal(log.level, "warn");
  assert.equal(log.child({}).level, "warn");
});

Deno.test("default level is info", () => {
  const { log, lines } = capture();
  log.debug("d");
  log.info("i");
  assert.deepEqual(lines.map((l) => JSON.parse(l.line).msg), ["i"]);
});

Deno.test("Error fields serialize as name, message, stack (and cause, own props)", () => {
  const { log, lines } = capture();
  const cause = new TypeError("inner");
  const err = Object.assign(new RangeError("boom", { cause }), { code: 42 });
  log.error("job failed", { err, nested: { e: new Error("deep") } });
  const o = JSON.parse(lines[0].line);
  assert.equal(o.err.name, "RangeError");
  assert.equal(o.err.message, "boom");
  assert.equal(o.err.stack, err.stack);
  assert.equal(o.err.code, 42);
  assert.deepEqual(o.err.cause, {
    name: "TypeError",
    message: "inner",
    stack: cause.stack,
  });
  assert.equal(o.nested.e.message, "deep");
  assert.match(o.nested.e.stack, /deep/);
});

Deno.test("stringify handles bigints, dates, cycles and hostile strings", () => {
  const a: Record<string, unknown> = { n: 1n };
  a.self = a;
  const shared = { x: 1 };
  assert.equal(
    stringify({ a, d: new Date(TS), pair: [shared, shared] }),
    `{"a":{"n":"1","self":"[Circular]"},"d":"${TS}","pair":[{"x":1},{"x":1}]}`,
  );
  const { log, lines } = capture();
  log.info('line\nbreak "quoted"', { s: "\u0000\u2028" });
  assert.equal(lines[0].line.includes("\n"), false);
  assert.equal(JSON.parse(lines[0].line).msg, 'line\nbreak "quoted"');
});

Deno.test("parseLogLevel accepts level names and rejects others", () => {
  assert.equal(parseLogLevel(undefined), "info");
  assert.equal(parseLogLevel(""), "info");
  assert.equal(parseLogLevel(undefined, "debug"), "debug");
  assert.equal(parseLogLevel(" WARN "), "warn");
  assert.throws(
    () => parseLogLevel("verbose"),
    /invalid log level "verbose": expected one of debug, info, warn, error/,
  );
});

Deno.test("default writer prints one line per call on stdout", async () => {
  const code = `
    import { createLogger } from ${
    JSON.stringify(import.meta.resolve("./logger.ts"))
  };
    const log = createLogger({ service: "s", environment: "e", level: "debug" });
    log.debug("one");
    log.error("two", { err: new Error("x") });
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stderr), "");
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[2], "");
  assert.equal(JSON.parse(lines[0]).msg, "one");
  assert.equal(JSON.parse(lines[1]).level, "error");
  assert.equal(JSON.parse(lines[1]).err.message, "x");
});
