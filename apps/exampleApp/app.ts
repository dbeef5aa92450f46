/**
 * A small application that uses the queue the way the memo asks: `POST /records` stores a
 * BfRecord and enqueues its `process_new_record` job in one `bfDb.transaction`, so the record
 * and its job commit together or not at all; `GET /records/:id` shows the record, processed
 * once a worker has run the job.
 *
 * @module
 */
import { z } from "zod";
import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import type { JsonValue } from "@bfmono/apps/bfDb/classes/defineBfNode.ts";
import { BfRecord } from "@bfmono/apps/bfDb/nodeTypes/BfRecord.ts";
import { processNewRecord } from "@bfmono/apps/collector/handlers/processNewRecord.ts";
import {
  formatIssues,
  PayloadValidationError,
} from "@bfmono/apps/collector/worker/standardSchema.ts";

/** What `POST /records` accepts. */
export const newRecordSchema = z.object({
  org: z.string().min(1).max(200),
  recordType: z.string().min(1).max(200).default("generic"),
  data: z.record(z.string(), z.unknown()).default({}),
});

const RECORD_ROUTE = new URLPattern({ pathname: "/records/:id" });

function json(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

/**
 * The application's request handler (for `Deno.serve`).
 *
 * @example
 * ```ts
 * Deno.serve({ port: 8000 }, handleRequest);
 * ```
 */
export async function handleRequest(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/records" && request.method === "POST") {
    return await createRecord(request);
  }
  const match = RECORD_ROUTE.exec(url);
  if (match && request.method === "GET") {
    const org = url.searchParams.get("org");
    if (!org) return json(400, { error: "org: required" });
    const record = await BfRecord.find(
      CurrentViewer.forOrg(org),
      match.pathname.groups.id!,
    );
    if (!record) return json(404, { error: "no such record" });
    return json(200, { id: record.id, ...record.props });
  }
  return json(404, { error: "not found" });
}

async function createRecord(request: Request): Promise<Response> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return json(400, { error: "the body must be JSON" });
  }
  const parsed = newRecordSchema.safeParse(body);
  if (!parsed.success) {
    return json(400, { error: formatIssues(parsed.error.issues) });
  }
  const { org, recordType, data } = parsed.data;
  const cv = CurrentViewer.forOrg(org);
  try {
    const { record, job } = await bfDb.transaction(async () => {
      const record = await BfRecord.create(
        { recordType, data: data as JsonValue },
        cv,
      );
      const job = await processNewRecord.enqueue(
        { record_id: record.id, record_type: recordType },
        cv,
      );
      return { record, job };
    });
    return json(201, { recordId: record.id, jobId: job.id });
  } catch (error) {
    if (error instanceof PayloadValidationError) {
      return json(400, { error: error.message });
    }
    throw error;
  }
}
