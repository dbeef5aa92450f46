/**
 * The values the `jobs` tasks take, checked before anything reaches the database: instants, org
 * ids, job types and ids, statuses, and the JSON payload (inline, `-` for standard input or
 * `@FILE`). A bad value is a {@linkcode UsageError} naming its flag or argument on one line, so
 * bft exits 2 and nothing is written. The rules themselves stay in bfDb (`sortableInstant`,
 * `CurrentViewer.forOrg`, `JOB_STATUSES`); these only put the operator's words on them.
 *
 * @module
 */
import { isPlainName } from "@bfmono/apps/bfDb/names.ts";
import {
  CurrentViewer,
  MAX_VIEWER_ID_LENGTH,
} from "@bfmono/apps/bfDb/CurrentViewer.ts";
import { BfValidationError } from "@bfmono/apps/bfDb/errors.ts";
import { sortableInstant } from "@bfmono/apps/bfDb/instants.ts";
import {
  JOB_STATUSES,
  type JobStatus,
} from "@bfmono/apps/bfDb/jobs/jobStates.ts";
import { MAX_PAYLOAD_BYTES } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import { quoteValue, UsageError } from "./args.ts";

/** Parses a full ISO-8601 instant with an offset or `Z` into the stored form (UTC, milliseconds). */
export function parseInstant(value: string, name: string): string {
  try {
    return sortableInstant("BfJob", "runAt", value);
  } catch (error) {
    if (!(error instanceof BfValidationError)) throw error;
    throw new UsageError(
      `${name} must be an ISO-8601 instant with an offset or Z, e.g. ` +
        `2026-12-01T08:00:00Z or 2026-12-01T08:00:00.123+01:00, got ${
          quoteValue(value)
        }`,
    );
  }
}

/** Parses an org id: what `CurrentViewer.forOrg` accepts, never empty, no control characters. */
export function parseOrgId(value: string, name: string): string {
  let ok = isPlainName(value);
  if (ok) {
    try {
      CurrentViewer.forOrg(value);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      ok = false;
    }
  }
  if (!ok) {
    throw new UsageError(
      `${name} must be an org id of 1 to ${MAX_VIEWER_ID_LENGTH} characters without ` +
        `control characters or surrounding spaces, got ${quoteValue(value)}`,
    );
  }
  return value;
}

/** Parses a job type or job id used to select jobs: not empty, no control characters. */
export function parseJobName(
  value: string,
  name: string,
  what: string,
): string {
  if (!isPlainName(value)) {
    throw new UsageError(
      `${name} must be a non-empty ${what} without control characters or surrounding spaces, got ${
        quoteValue(value)
      }`,
    );
  }
  return value;
}

/** Parses a job status, one of `JOB_STATUSES`. */
export function parseJobStatus(value: string, name: string): JobStatus {
  if (!(JOB_STATUSES as readonly string[]).includes(value)) {
    throw new UsageError(
      `${name} must be one of ${JOB_STATUSES.join(", ")}, got ${
        quoteValue(value)
      }`,
    );
  }
  return value as JobStatus;
}

/**
 * The most payload text read from standard input or a file. The 1 MiB limit is on the compact
 * JSON and is checked when the job is created; a pretty-printed file can be several times that.
 */
export const MAX_PAYLOAD_SOURCE_BYTES = 16 * MAX_PAYLOAD_BYTES;

/** Where {@linkcode readJsonPayload} reads `-` from; standard input unless a test says otherwise. */
export interface PayloadSources {
  /** Standard input. */
  stdin?: () => ReadableStream<Uint8Array>;
  /** Largest text accepted from a stream or file, in bytes. */
  maxBytes?: number;
}

/**
 * The JSON payload an argument stands for: `-` reads standard input, `@FILE` reads the file,
 * anything else is the JSON itself. Unreadable sources and bad JSON are UsageErrors naming the
 * source.
 */
export async function readJsonPayload(
  arg: string,
  sources: PayloadSources = {},
): Promise<unknown> {
  const maxBytes = sources.maxBytes ?? MAX_PAYLOAD_SOURCE_BYTES;
  let source: string;
  let text: string;
  if (arg === "-") {
    source = "standard input";
    const stdin = sources.stdin ?? (() => Deno.stdin.readable);
    text = await readText(stdin(), source, maxBytes);
  } else if (arg.startsWith("@")) {
    const path = arg.slice(1);
    if (path === "") {
      throw new UsageError("@ needs a file name, e.g. @payload.json");
    }
    source = `file ${quoteValue(path)}`;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path);
    } catch (error) {
      throw new UsageError(
        `cannot read the JSON payload from ${source}: ${reason(error)}`,
      );
    }
    text = await readText(file.readable, source, maxBytes);
  } else {
    return parseJson(arg, "JSON payload");
  }
  return parseJson(text, `JSON payload from ${source}`);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8 quotes the text near the mistake, newlines and all.
    throw new UsageError(`${what} does not parse: ${oneLine(error)}`);
  }
}

/** Reads `stream` as UTF-8 text of at most `maxBytes`; a stream or file is closed either way. */
async function readText(
  stream: ReadableStream<Uint8Array>,
  source: string,
  maxBytes: number,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel();
        throw new UsageError(
          `the JSON payload from ${source} is larger than ${maxBytes} bytes`,
        );
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    await reader.cancel().catch(() => {});
    throw new UsageError(
      `cannot read the JSON payload from ${source}: ${reason(error)}`,
    );
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`the JSON payload from ${source} is not UTF-8 text`);
  }
}

/** An OS error's reason without Deno's repeat of the call and path, on one line. */
function reason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  return oneLine(error);
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*[\r\n]+\s*/g, " ");
}
