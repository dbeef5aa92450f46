import type { BftTask } from "../../BftTask.ts";

/** Fixture: a two-word task with no one-word parent. */
export const bftTask: BftTask = {
  name: "db migrate",
  description: "Apply migrations",
  run: () => Promise.resolve(0),
};
