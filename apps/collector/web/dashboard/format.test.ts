import assert from "node:assert/strict";
import { agoText, countText, jsonText, spanText } from "./format.ts";

Deno.test("spanText reads like a person would say it", () => {
  assert.equal(spanText(0.25), "250 ms");
  assert.equal(spanText(42.9), "42 s");
  assert.equal(spanText(7 * 60 + 5), "7 min");
  assert.equal(spanText(3 * 3600 + 20 * 60), "3 h 20 min");
  assert.equal(spanText(5 * 3600), "5 h");
  assert.equal(spanText(52 * 3600), "2 d 4 h");
  assert.equal(spanText(-3), "0 ms");
});

Deno.test("agoText: past, future, absent and unparsable instants", () => {
  const now = Date.parse("2026-12-07T12:00:00.000Z");
  assert.equal(agoText("2026-12-07T11:59:48.000Z", now), "12 s ago");
  assert.equal(agoText("2026-12-07T12:03:00.000Z", now), "in 3 min");
  assert.equal(agoText(null, now), "");
  assert.equal(agoText("not a date", now), "");
});

Deno.test("countText and jsonText", () => {
  assert.equal(countText(1234567), "1,234,567");
  assert.equal(jsonText(undefined), "—");
  assert.equal(jsonText({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
});
