import type { BftTask } from "../../BftTask.ts";

/** Fixture: prints its arguments as JSON. */
export const bftTask: BftTask = {
  name: "hello",
  description: "Print the arguments",
  run: (args) => {
    console.log(JSON.stringify(args));
    return Promise.resolve(0);
  },
};
