import { BfNode, type InferProps } from "../classes/BfNode.ts";

/**
 * An application record: a typed bag of JSON data that `process_new_record` jobs process.
 *
 * @example
 * ```ts
 * const record = await BfRecord.create({ recordType: "song", data: { title: "Hallel" } }, cv);
 * await BfJob.create({ type: "process_new_record", payload: { record_id: record.id } }, cv);
 * ```
 */
export class BfRecord extends BfNode<InferProps<typeof BfRecord>> {
  static override bfNodeSpec = this.defineBfNode((node) =>
    node
      .string("recordType").default("generic")
      .json("data").default({})
      .string("processedAt").optional()
      .string("digest").optional()
  );
}
