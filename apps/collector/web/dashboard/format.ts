/** A span of seconds as a person reads it: "850 ms", "42 s", "7 min", "3 h 20 min", "2 d 4 h". */
export function spanText(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${Math.floor(s)} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** How long ago `iso` was from `nowMs` ("12 s ago", "in 3 min"), or "" without an instant. */
export function agoText(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return "";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = (nowMs - then) / 1000;
  return seconds >= 0 ? `${spanText(seconds)} ago` : `in ${spanText(-seconds)}`;
}

/** A count with thousands separators ("12,345"). */
export function countText(n: number): string {
  return n.toLocaleString("en-US");
}

/** `value` as indented JSON for a `<pre>`, or "—" when absent. */
export function jsonText(value: unknown): string {
  if (value === undefined) return "—";
  return JSON.stringify(value, null, 2);
}
