import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "@bfmono/packages/logger/logger.ts";
import {
  guardDriverRejections,
  isDatabaseConnectionError,
} from "./driverRejections.ts";

function withCode(code: string, message = "boom"): Error {
  return Object.assign(new Error(message), { code });
}

Deno.test("connection failures are recognised by driver code and SQLSTATE", () => {
  for (
    const code of [
      "CONNECTION_CLOSED",
      "CONNECTION_DESTROYED",
      "ECONNRESET",
      "ECONNREFUSED",
      "57P01",
      "57P02",
      "57P03",
      "57014",
      "53300",
      "08006",
    ]
  ) {
    assert.equal(isDatabaseConnectionError(withCode(code)), true, code);
  }
  for (const code of ["23505", "42P01", "22P02", "57P04", "XX000"]) {
    assert.equal(isDatabaseConnectionError(withCode(code)), false, code);
  }
  // Whatever its code, a FATAL error ends the session: 55000 is how a database with
  // ALLOW_CONNECTIONS false refuses a new connection. The same code at ERROR is not one.
  const fatal = (code: string, severity: string) =>
    Object.assign(withCode(code), { severity });
  assert.equal(isDatabaseConnectionError(fatal("55000", "FATAL")), true);
  assert.equal(isDatabaseConnectionError(fatal("28P01", "FATAL")), true);
  assert.equal(isDatabaseConnectionError(fatal("XX000", "PANIC")), true);
  assert.equal(isDatabaseConnectionError(fatal("55000", "ERROR")), false);
  assert.equal(isDatabaseConnectionError(new Error("no code")), false);
  assert.equal(isDatabaseConnectionError({ code: "ECONNRESET" }), false);
  assert.equal(isDatabaseConnectionError("ECONNRESET"), false);
});

Deno.test("the guard swallows and logs a dropped connection error, and only that", async () => {
  const lines: string[] = [];
  const logger = createLogger({
    service: "test",
    environment: "test",
    write: (line) => lines.push(line),
  });
  // What the driver does: a promise rejected with a termination error that nobody handles.
  let sawOther = false;
  const other = (event: PromiseRejectionEvent) => {
    if (event.defaultPrevented) return;
    sawOther = true;
    event.preventDefault();
  };
  const unguard = guardDriverRejections(logger);
  globalThis.addEventListener("unhandledrejection", other);
  try {
    Promise.reject(
      withCode("57P01", "terminating connection due to administrator command"),
    );
    await sleep(20);
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]);
    assert.equal(line.level, "warn");
    assert.equal(
      line.error.message,
      "terminating connection due to administrator command",
    );
    assert.equal(sawOther, false);

    Promise.reject(new Error("a bug of ours"));
    await sleep(20);
    assert.equal(
      lines.length,
      1,
      "a non-database rejection is not the guard's business",
    );
    assert.equal(sawOther, true);
  } finally {
    unguard();
    globalThis.removeEventListener("unhandledrejection", other);
  }
});
