import type { BftTask } from "../../BftTask.ts";
import { parseArgs } from "../../args.ts";

/** Fixture: a two-word task that takes flags. */
export const bftTask: BftTask = {
  name: "jobs status",
  description: "Show queue counts",
  usage: "jobs status [--type T] [--json]",
  run: (args) => {
    const parsed = parseArgs(args, { string: ["type"], boolean: ["json"] });
    console.log(JSON.stringify({ task: "jobs status", ...parsed }));
    return Promise.resolve(0);
  },
};
