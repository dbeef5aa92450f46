import { BfValidationError } from "./errors.ts";

/**
 * A full ISO-8601 instant: date, time and an explicit offset or `Z`. Forms without an offset
 * ("2026-12-01 08:00", a bare date) mean a local time nobody can agree on, and numbers mean
 * milliseconds to some and seconds to others, so neither is accepted.
 */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Whether the fields of an ISO_INSTANT match name a real calendar date and clock time. */
function realFields(match: RegExpExecArray): boolean {
  const [, y, mo, d, h, mi, s = "0", oh = "0", om = "0"] = match;
  const year = Number(y), month = Number(mo), day = Number(d);
  // Date.UTC rolls 02-30 over to 03-02; a real date survives the round trip.
  const probe = new Date(Date.UTC(year, month - 1, day));
  probe.setUTCFullYear(year);
  return month >= 1 && month <= 12 && probe.getUTCMonth() === month - 1 &&
    probe.getUTCDate() === day && Number(h) <= 23 && Number(mi) <= 59 &&
    Number(s) <= 59 && Number(oh) <= 23 && Number(om) <= 59;
}

/**
 * `value` (a valid Date, or a full ISO-8601 instant with an offset or `Z`) in the form node
 * props store instants in: ISO-8601 UTC with milliseconds, which sorts as text. Anything else is
 * a BfValidationError naming `className.field`.
 *
 * @example
 * ```ts
 * sortableInstant("BfJob", "runAt", "2026-12-01T08:00:00+01:00"); // "2026-12-01T07:00:00.000Z"
 * ```
 */
export function sortableInstant(
  className: string,
  field: string,
  value: unknown,
): string {
  const refuse = (why: string): never => {
    throw new BfValidationError(className, field, why);
  };
  let date: Date | undefined;
  if (value instanceof Date) date = value;
  else if (typeof value === "string") {
    const match = ISO_INSTANT.exec(value);
    if (!match) {
      refuse(
        `expected a Date or a full ISO-8601 instant with an offset or Z ` +
          `(e.g. 2026-12-01T08:00:00Z), got ${JSON.stringify(value)}`,
      );
    }
    if (!realFields(match!)) {
      refuse(`not a real date and time: ${JSON.stringify(value)}`);
    }
    date = new Date(value);
  } else {
    refuse(
      `expected a Date or a full ISO-8601 instant with an offset or Z, got ${
        value === null ? "null" : typeof value
      }`,
    );
  }
  if (!date || Number.isNaN(date.getTime())) {
    return refuse(`not a real instant: ${JSON.stringify(String(value))}`);
  }
  const iso = date.toISOString();
  if (iso.length !== 24) refuse("must fall between years 0000 and 9999");
  return iso;
}
