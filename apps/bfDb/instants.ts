import { BfValidationError } from "./errors.ts";

/**
 * A full ISO-8601 instant: date, time and an explicit offset or `Z`. Forms without an offset
 * ("2026-12-01 08:00", a bare date) mean a local time nobody can agree on, and numbers mean
 * milliseconds to some and seconds to others, so neither is accepted.
 */
const ISO_INSTANT =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

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
    if (!ISO_INSTANT.test(value)) {
      refuse(
        `expected a Date or a full ISO-8601 instant with an offset or Z ` +
          `(e.g. 2026-12-01T08:00:00Z), got ${JSON.stringify(value)}`,
      );
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
