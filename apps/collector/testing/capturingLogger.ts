import { createLogger, type Logger } from "@bfmono/packages/logger/logger.ts";
import type { LogLine } from "./workerProcess.ts";

/** A debug-level test logger that keeps every line it writes, parsed, in `logs`. */
export function capturingLogger(): { logs: LogLine[]; logger: Logger } {
  const logs: LogLine[] = [];
  const logger = createLogger({
    service: "collector-test",
    environment: "test",
    level: "debug",
    write: (line) => logs.push(JSON.parse(line)),
  });
  return { logs, logger };
}
