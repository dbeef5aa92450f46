/**
 * The contract of a bft task: each `infra/bft/tasks/*.bft.ts` file exports
 * `bftTask`. Task files must do no work at import time (`bft help` imports all
 * of them); open databases and start servers inside `run`.
 *
 * @example
 * ```ts
 * import type { BftTask } from "@bfmono/infra/bft/BftTask.ts";
 * import { parseArgs } from "@bfmono/infra/bft/args.ts";
 *
 * export const bftTask: BftTask = {
 *   name: "jobs list",
 *   description: "List jobs by status",
 *   usage: "jobs list --status STATUS [--type T]",
 *   run: async (args) => {
 *     const { flags } = parseArgs(args, { string: ["status", "type"] });
 *     console.log(flags.status, flags.type);
 *     return 0;
 *   },
 * };
 * ```
 *
 * @module
 */

/** One bft task: `bft NAME args…` calls `run(args)` and exits with its result. */
export interface BftTask {
  /** Words typed after `bft`, separated by single spaces, e.g. `"db migrate"`. */
  name: string;
  /** One line shown by `bft help`. */
  description: string;
  /** Synopsis without the leading `bft`, e.g. `"jobs retry ID | --failed [--type T]"`. */
  usage?: string;
  /** More lines shown after the description by `bft help TASK`, e.g. what each argument means. */
  details?: string;
  /** Runs the task with the arguments after its name; resolves to the exit code. Throw a `UsageError` for bad arguments (exit 2). */
  run: (args: string[]) => Promise<number>;
}
