/**
 * Typed job definitions, shared by the producers that enqueue a job type and the handler that
 * runs it: one place names the type, its payload schema and its defaults (queue, priority,
 * attempts), the payload's type is inferred from the schema, and a payload is checked against
 * it before anything is written.
 *
 * @example
 * ```ts
 * // apps/collector/handlers/sendWelcomeEmail.ts
 * export const sendWelcomeEmail = defineJob({
 *   type: "send_welcome_email",
 *   schema: z.object({ to: z.email() }),
 *   queue: "emails",
 * });
 * export const sendWelcomeEmailHandler = sendWelcomeEmail.handler(async ({ to }, ctx) => {
 *   await mailer.send(to, { idempotencyKey: ctx.jobId });
 * });
 *
 * // any producer
 * await sendWelcomeEmail.enqueue({ to: "ada@example.com" }, cv);
 * ```
 *
 * @module
 */
import type { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { checkQueueName } from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import { BfJob, type BfJobInput } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import type { JobContext, JobHandler } from "./handler.ts";
import {
  type InferOutput,
  parseWithSchema,
  type StandardSchemaV1,
} from "./standardSchema.ts";

/** The payload a producer passes: the schema's input type. */
export type InferInput<S extends StandardSchemaV1> = NonNullable<
  S["~standard"]["types"]
>["input"];

/** Per-job options a producer may give: when, how urgent, where, how many tries, how unique. */
export type EnqueueOptions = Omit<BfJobInput, "type" | "payload" | "status">;

/** What `defineJob` takes: the type, its payload schema, and defaults for every job of it. */
export interface JobDefinitionSpec<S extends StandardSchemaV1> {
  type: string;
  schema: S;
  /** The queue its jobs go to unless a producer names another; default `default`. */
  queue?: string;
  /** Priority unless a producer gives one; default 0. */
  priority?: number;
  /** Attempts unless a producer gives a number; default 3. */
  maxAttempts?: number;
}

/** A job type as producers and its handler share it. */
export interface JobDefinition<S extends StandardSchemaV1>
  extends Readonly<JobDefinitionSpec<S>> {
  /** The input `BfJob.create` gets for `payload` (checked against the schema) and `options`. */
  input(payload: InferInput<S>, options?: EnqueueOptions): Promise<BfJobInput>;
  /**
   * Checks `payload` against the schema, then enqueues one job in `cv`'s org, inside the
   * caller's `bfDb.transaction` when there is one. A bad payload throws a
   * `PayloadValidationError` naming the field, and nothing is written.
   */
  enqueue(
    payload: InferInput<S>,
    cv: CurrentViewer,
    options?: EnqueueOptions,
  ): Promise<BfJob>;
  /** Like `enqueue` for many payloads, in one statement; all are checked before any is written. */
  enqueueMany(
    payloads: readonly InferInput<S>[],
    cv: CurrentViewer,
    options?: EnqueueOptions,
  ): Promise<BfJob[]>;
  /** The handler that runs this type: `process` gets the parsed payload. */
  handler(
    process: (payload: InferOutput<S>, ctx: JobContext) => unknown,
  ): JobHandler<S>;
}

/** Declares a job type for producers and its handler (see the module doc). */
export function defineJob<S extends StandardSchemaV1>(
  spec: JobDefinitionSpec<S>,
): JobDefinition<S> {
  if (typeof spec.type !== "string" || spec.type.length === 0) {
    throw new TypeError("defineJob: type must be a non-empty string");
  }
  if (!spec.schema?.["~standard"]) {
    throw new TypeError(
      `defineJob ${spec.type}: schema must be a Standard Schema (e.g. zod 4)`,
    );
  }
  if (spec.queue !== undefined) checkQueueName(spec.queue, "queue");
  const { type, schema } = spec;
  const definition: JobDefinition<S> = {
    ...spec,
    async input(payload, options = {}) {
      return {
        priority: spec.priority,
        maxAttempts: spec.maxAttempts,
        queue: spec.queue,
        ...withoutUndefined(options),
        type,
        payload: await parseWithSchema(type, schema, payload),
      };
    },
    async enqueue(payload, cv, options) {
      return await BfJob.create(await definition.input(payload, options), cv);
    },
    async enqueueMany(payloads, cv, options) {
      const inputs = [];
      for (const payload of payloads) {
        inputs.push(await definition.input(payload, options));
      }
      return await BfJob.createMany(inputs, cv);
    },
    handler(process) {
      return { type, schema, queue: spec.queue, process };
    },
  };
  return Object.freeze(definition);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
