import type { BftTask } from "../../BftTask.ts";

/** Fixture: fails with an unexpected error. */
export const bftTask: BftTask = {
  name: "throws",
  description: "Throw an error",
  run: () => Promise.reject(new Error("kaboom")),
};
