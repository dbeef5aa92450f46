import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "./args.ts";
import {
  parseInstant,
  parseJobName,
  parseJobStatus,
  parseOrgId,
  readJsonPayload,
} from "./jobArgs.ts";

/** Asserts `fn` throws a UsageError whose one-line message matches `re`. */
async function refuses(
  fn: () => unknown,
  re: RegExp,
  label: string,
): Promise<void> {
  await assert.rejects(
    async () => await fn(),
    (e) => {
      assert.ok(e instanceof UsageError, `${label}: ${e}`);
      assert.match(e.message, re, label);
      assert.equal(e.message.includes("\n"), false, `${label}: ${e.message}`);
      return true;
    },
    label,
  );
}

Deno.test("parseInstant: only full ISO-8601 instants with an offset or Z, stored as UTC with ms", async () => {
  assert.equal(
    parseInstant("2026-12-01T08:00:00Z", "--run-at"),
    "2026-12-01T08:00:00.000Z",
  );
  assert.equal(
    parseInstant("2026-12-01T08:00:00.123+01:00", "--run-at"),
    "2026-12-01T07:00:00.123Z",
  );
  assert.equal(
    parseInstant("2026-12-01T08:00-05:30", "--run-at"),
    "2026-12-01T13:30:00.000Z",
  );
  for (
    const bad of [
      "0",
      "-1",
      "1764576000000",
      "2026-12-01 08:00",
      "2026-12-01",
      "2026-12-01T08:00:00",
      "2026-12-01T08:00:00+0100",
      "Tue, 01 Dec 2026 08:00:00 GMT",
      "2026-13-01T00:00:00Z",
      "0000-01-01T00:00:00+01:00",
      "tomorrow",
      "",
    ]
  ) {
    await refuses(
      () => parseInstant(bad, "--run-at"),
      /^--run-at must be an ISO-8601 instant with an offset or Z, e\.g\. 2026-12-01T08:00:00Z or 2026-12-01T08:00:00\.123\+01:00, got "/,
      bad,
    );
  }
});

Deno.test("parseOrgId: refuses empty, NUL, control characters, spaces around, overlong", async () => {
  assert.equal(parseOrgId("org_cli", "--org"), "org_cli");
  assert.equal(parseOrgId("o".repeat(200), "--org"), "o".repeat(200));
  assert.equal(parseOrgId("org with space", "--org"), "org with space");
  for (
    const bad of [
      "",
      " ",
      " org",
      "org\n",
      "a\u0000b",
      "a\tb",
      "\ud800",
      "o".repeat(201),
    ]
  ) {
    await refuses(
      () => parseOrgId(bad, "--org"),
      /^--org must be an org id of 1 to 200 characters without control characters or surrounding spaces, got "/,
      JSON.stringify(bad),
    );
  }
});

Deno.test("parseJobName and parseJobStatus name the flag they check", async () => {
  assert.equal(
    parseJobName("track_usage", "--type", "job type"),
    "track_usage",
  );
  for (const bad of ["", "  ", "a\u0000b", "x\ny"]) {
    await refuses(
      () => parseJobName(bad, "--type", "job type"),
      /^--type must be a non-empty job type without control characters/,
      JSON.stringify(bad),
    );
  }
  assert.equal(parseJobStatus("failed", "--status"), "failed");
  await refuses(
    () => parseJobStatus("stuck", "--status"),
    /^--status must be one of available, claimed, running, completed, failed, cancelled, got "stuck"$/,
    "stuck",
  );
});

/** A stream that yields `chunks` (strings are UTF-8) and then ends. */
function streamOf(
  ...chunks: (string | Uint8Array)[]
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(
    chunks.map((c) => typeof c === "string" ? enc.encode(c) : c),
  );
}

Deno.test("readJsonPayload: inline JSON, - from standard input, @FILE from a file", async () => {
  assert.deepEqual(await readJsonPayload('{"a":1}'), { a: 1 });
  assert.deepEqual(
    await readJsonPayload("-", { stdin: () => streamOf('{"a":', "[1,2]}\n") }),
    { a: [1, 2] },
  );
  const dir = await Deno.makeTempDir({ prefix: "bft-payload-" });
  try {
    const big = { record_id: "r", metadata: { blob: "é".repeat(100_000) } };
    const path = join(dir, "payload.json");
    await Deno.writeTextFile(path, JSON.stringify(big, null, 2));
    assert.deepEqual(await readJsonPayload(`@${path}`), big);
    // A byte-order mark, as some editors write, is not part of the JSON.
    await Deno.writeTextFile(path, '\ufeff{"b":2}');
    assert.deepEqual(await readJsonPayload(`@${path}`), { b: 2 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readJsonPayload: unreadable sources and bad JSON are one-line UsageErrors naming the source", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bft-payload-" });
  try {
    const bad = join(dir, "bad.json");
    await Deno.writeTextFile(bad, '{\n  "a":\n  oops\n}\n');
    const binary = join(dir, "binary.json");
    await Deno.writeFile(binary, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    const large = join(dir, "large.json");
    await Deno.writeTextFile(large, `"${"x".repeat(100)}"`);
    const cases: [string, RegExp, number?][] = [
      [
        join(dir, "missing.json"),
        /^cannot read the JSON payload from file ".*missing\.json": no such file$/,
      ],
      [dir, /^cannot read the JSON payload from file ".*": it is a directory$/],
      [bad, /^JSON payload from file ".*bad\.json" does not parse: /],
      [
        binary,
        /^the JSON payload from file ".*binary\.json" is not UTF-8 text$/,
      ],
      [
        large,
        /^the JSON payload from file ".*large\.json" is larger than 50 bytes$/,
        50,
      ],
    ];
    for (const [path, re, maxBytes] of cases) {
      await refuses(() => readJsonPayload(`@${path}`, { maxBytes }), re, path);
    }
    await refuses(() => readJsonPayload("@"), /^@ needs a file name/, "@");
    if (Deno.uid() !== 0) {
      const locked = join(dir, "locked.json");
      await Deno.writeTextFile(locked, "{}");
      await Deno.chmod(locked, 0o000);
      await refuses(
        () => readJsonPayload(`@${locked}`),
        /^cannot read the JSON payload from file ".*locked\.json": permission denied$/,
        "locked",
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const stdinCases: [ReadableStream<Uint8Array>, RegExp][] = [
    [streamOf(), /^JSON payload from standard input does not parse: /],
    [
      streamOf("[1,\n2,\nx]"),
      /^JSON payload from standard input does not parse: /,
    ],
    [
      streamOf("[", "1".repeat(60), "]"),
      /^the JSON payload from standard input is larger than 50 bytes$/,
    ],
    [
      new ReadableStream({ pull: (c) => c.error(new Error("read failed")) }),
      /^cannot read the JSON payload from standard input: read failed$/,
    ],
  ];
  for (const [stream, re] of stdinCases) {
    await refuses(
      () => readJsonPayload("-", { stdin: () => stream, maxBytes: 50 }),
      re,
      String(re),
    );
  }
  await refuses(
    () => readJsonPayload("{\n  oops\n}"),
    /^JSON payload does not parse: /,
    "inline",
  );
});
