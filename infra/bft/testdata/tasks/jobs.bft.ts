import type { BftTask } from "../../BftTask.ts";

/** Fixture: a one-word task that is a prefix of `jobs status`. */
export const bftTask: BftTask = {
  name: "jobs",
  description: "Generic jobs command",
  run: (args) => {
    console.log(JSON.stringify({ task: "jobs", args }));
    return Promise.resolve(0);
  },
};
