import assert from "node:assert/strict";
import {
  parseArgs,
  parseDuration,
  parseInteger,
  quoteValue,
  UsageError,
} from "./args.ts";

Deno.test("parseArgs: --flag value, --flag=value, booleans, positionals", () => {
  const r = parseArgs(
    [
      "42",
      "--type",
      "track_usage",
      "--run-at=2025-01-01T00:00:00Z",
      "--failed",
      "x",
    ],
    { string: ["type", "run-at", "priority"], boolean: ["failed", "json"] },
  );
  const priority: string | undefined = r.flags.priority; // typed from spec
  assert.equal(priority, undefined);
  assert.deepEqual(r, {
    flags: {
      type: "track_usage",
      "run-at": "2025-01-01T00:00:00Z",
      failed: true,
      json: false,
    },
    positionals: ["42", "x"],
  });
});

Deno.test("parseArgs: values may contain '=', start with '-' or be empty", () => {
  const r = parseArgs(["--a=x=y", "--b", "-1", "--c=", "-"], {
    string: ["a", "b", "c"],
  });
  assert.deepEqual(r.flags, { a: "x=y", b: "-1", c: "" });
  assert.deepEqual(r.positionals, ["-"]);
});

Deno.test("parseArgs: -- ends flags; negative numbers are positionals", () => {
  const r = parseArgs(["-5", "--", "--type", "-x"], { string: ["type"] });
  assert.deepEqual(r.positionals, ["-5", "--type", "-x"]);
  assert.equal(r.flags.type, undefined);
});

Deno.test("parseArgs: boolean flags accept =true and =false", () => {
  const r = parseArgs(["--a=true", "--b=false"], { boolean: ["a", "b"] });
  assert.deepEqual(r.flags, { a: true, b: false });
});

Deno.test("parseArgs: bad arguments throw UsageError with a clear message", () => {
  const cases: [string[], RegExp][] = [
    [["--nope"], /^unknown flag --nope$/],
    [["--nope=1"], /^unknown flag --nope$/],
    [["-x"], /^unknown flag -x$/],
    [["--type"], /^--type needs a value$/],
    [["--type", "--failed"], /^--type needs a value$/],
    [["--type", "a", "--type=b"], /^--type given twice$/],
    [["--failed=yes"], /^--failed takes no value \(or true\|false\)$/],
    [["a", "b", "c"], /^unexpected argument c$/],
    // What cannot be shown as typed is quoted, so the message stays one line.
    [["--no\npe"], /^unknown flag "--no\\npe"$/],
    [
      ["a", "b", '{\n"x": 1\n}'],
      /^unexpected argument "\{\\n\\"x\\": 1\\n\}"$/,
    ],
    [["a", "b", ""], /^unexpected argument ""$/],
  ];
  for (const [args, re] of cases) {
    assert.throws(
      () =>
        parseArgs(args, {
          string: ["type"],
          boolean: ["failed"],
          maxPositionals: 2,
        }),
      (e) => e instanceof UsageError && re.test(e.message),
      args.join(" "),
    );
  }
  assert.throws(
    () => parseArgs([], { minPositionals: 1 }),
    /expected at least 1 argument/,
  );
});

Deno.test("parseInteger: whole numbers in range only", () => {
  assert.equal(parseInteger("7", "--priority"), 7);
  assert.equal(parseInteger("-3", "--priority"), -3);
  for (const bad of ["", "1.5", "1e3", "abc", "9999999999999999999", "0x10"]) {
    assert.throws(() => parseInteger(bad, "--priority"), UsageError, bad);
  }
  assert.throws(
    () => parseInteger("300", "CODE", 0, 255),
    /^UsageError: CODE must be a whole number from 0 to 255, got "300"$/,
  );
});

Deno.test("parseDuration: units and compound durations", () => {
  assert.equal(parseDuration("500ms", "d"), 500);
  assert.equal(parseDuration("30s", "d"), 30_000);
  assert.equal(parseDuration("15m", "d"), 900_000);
  assert.equal(parseDuration("1h30m", "d"), 5_400_000);
  assert.equal(parseDuration("7d", "d"), 604_800_000);
  assert.equal(parseDuration("2w", "d"), 1_209_600_000);
  for (const bad of ["", "7", "d", "7 d", "7days", "-1d", "1.5h", "1h x"]) {
    assert.throws(() => parseDuration(bad, "--older-than"), UsageError, bad);
  }
  assert.throws(
    () => parseDuration("soon", "--older-than"),
    /--older-than must be a duration like 30s, 15m, 12h, 7d or 1h30m \(at most 100 years\), got "soon"/,
  );
});

Deno.test("quoteValue: JSON-quoted on one line, long values cut short", () => {
  assert.equal(quoteValue("a\nb"), '"a\\nb"');
  assert.equal(quoteValue("x".repeat(80)), JSON.stringify("x".repeat(80)));
  assert.equal(
    quoteValue("y".repeat(100_000)),
    `${JSON.stringify("y".repeat(80))}… (100000 characters)`,
  );
  assert.throws(
    () => parseInteger("9".repeat(10_000), "--limit", 1, 10),
    (e) =>
      e instanceof UsageError && e.message.length < 200 &&
      e.message.endsWith("… (10000 characters)"),
  );
});

Deno.test("parseDuration: more than 100 years is a UsageError, not an overflow", () => {
  assert.equal(parseDuration("5200w", "d"), 5200 * 604_800_000);
  for (const bad of ["99999999d", "36501d", `${"9".repeat(400)}ms`]) {
    assert.throws(
      () => parseDuration(bad, "--older-than"),
      /^UsageError: --older-than must be a duration .* \(at most 100 years\)/,
      bad,
    );
  }
});
