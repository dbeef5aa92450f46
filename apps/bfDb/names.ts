/**
 * Whether `value` is a plain name (a job type, queue, schedule or org typed by a person): 1 to
 * `maxLength` characters, no control character (NUL above all, which PostgreSQL text cannot
 * hold; a newline would also break table output), no surrounding spaces, no lone surrogate.
 *
 * @example
 * ```ts
 * isPlainName("emails"); // true
 * isPlainName(" emails\n"); // false
 * ```
 */
export function isPlainName(
  value: unknown,
  maxLength = Infinity,
): value is string {
  return typeof value === "string" && value.length > 0 &&
    value.length <= maxLength && value.trim() === value &&
    !/\p{Cc}/u.test(value) && value.isWellFormed();
}
