import { BfNode, type InferProps } from "../classes/BfNode.ts";

/** A node type with one field of every kind, for tests of the store itself. */
export class BfExampleThing extends BfNode<InferProps<typeof BfExampleThing>> {
  static override bfNodeSpec = this.defineBfNode((node) =>
    node
      .string("name")
      .number("count").default(0)
      .boolean("active").default(true)
      .json("data").optional()
      .enum("color", ["red", "green", "blue"]).default("red")
      .string("note").optional()
  );
}

/** A second node type, to show classes do not see each other. */
export class BfExamplePerson
  extends BfNode<InferProps<typeof BfExamplePerson>> {
  static override bfNodeSpec = this.defineBfNode((node) => node.string("name"));
}
