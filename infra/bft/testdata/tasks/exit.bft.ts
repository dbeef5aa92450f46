import type { BftTask } from "../../BftTask.ts";
import { parseArgs, parseInteger } from "../../args.ts";

/** Fixture: exits with the code given as its one argument. */
export const bftTask: BftTask = {
  name: "exit",
  description: "Exit with CODE",
  usage: "exit CODE",
  run: (args) => {
    const { positionals } = parseArgs(args, {
      minPositionals: 1,
      maxPositionals: 1,
    });
    return Promise.resolve(parseInteger(positionals[0], "CODE", 0, 255));
  },
};
