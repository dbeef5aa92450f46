/** The Standard Schema v1 interface (standardschema.dev), which zod 4, valibot and arktype implement. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?:
      | { readonly input: Input; readonly output: Output }
      | undefined;
  };
}

/** A validation result: the value, or the issues. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

/** One validation problem and where it is. */
export interface StandardIssue {
  readonly message: string;
  readonly path?:
    | ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>
    | undefined;
}

/** The parsed type a schema yields. */
export type InferOutput<S extends StandardSchemaV1> = NonNullable<
  S["~standard"]["types"]
>["output"];

/** A payload did not match its handler's schema; the job fails at once with this message. */
export class PayloadValidationError extends Error {
  override name = "PayloadValidationError";
  constructor(
    readonly jobType: string,
    readonly issues: ReadonlyArray<StandardIssue>,
  ) {
    super(`invalid payload for ${jobType}: ${formatIssues(issues)}`);
  }
}

/** Renders issues as `path: message; …`. */
export function formatIssues(issues: ReadonlyArray<StandardIssue>): string {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((p) =>
      typeof p === "object" ? String(p.key) : String(p)
    )
      .join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  }).join("; ");
}

/** Validates `value` with any Standard Schema; throws PayloadValidationError on issues. */
export async function parseWithSchema<S extends StandardSchemaV1>(
  jobType: string,
  schema: S,
  value: unknown,
): Promise<InferOutput<S>> {
  const result = await schema["~standard"].validate(value);
  if (result.issues) throw new PayloadValidationError(jobType, result.issues);
  return result.value as InferOutput<S>;
}
