import type { JobHandler } from "./handler.ts";
import type { StandardSchemaV1 } from "./standardSchema.ts";

/** Maps job types to handlers; a worker claims only the types registered here. */
export class HandlerRegistry {
  readonly #handlers = new Map<string, JobHandler>();

  constructor(handlers: readonly JobHandler<StandardSchemaV1>[] = []) {
    for (const handler of handlers) this.register(handler);
  }

  /** Adds a handler; a type can be registered once. */
  register<S extends StandardSchemaV1>(handler: JobHandler<S>): this {
    if (typeof handler.type !== "string" || handler.type.length === 0) {
      throw new TypeError("a job handler needs a non-empty type");
    }
    if (!handler.schema?.["~standard"]) {
      throw new TypeError(
        `handler ${handler.type}: schema must be a Standard Schema (e.g. zod 4)`,
      );
    }
    if (typeof handler.process !== "function") {
      throw new TypeError(
        `handler ${handler.type}: process must be a function`,
      );
    }
    if (this.#handlers.has(handler.type)) {
      throw new Error(`a handler for ${handler.type} is already registered`);
    }
    this.#handlers.set(handler.type, handler as unknown as JobHandler);
    return this;
  }

  /** The handler for `type`, if any. */
  get(type: string): JobHandler | undefined {
    return this.#handlers.get(type);
  }

  /** Every registered type, sorted. */
  get types(): string[] {
    return [...this.#handlers.keys()].sort();
  }
}
