/** A node's props do not match its class's spec; names the class and the field. */
export class BfValidationError extends Error {
  override name = "BfValidationError";
  constructor(
    readonly className: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${className}.${field}: ${problem}`);
  }
}

/** No node with that id is visible to the viewer. */
export class BfNotFoundError extends Error {
  override name = "BfNotFoundError";
  constructor(readonly className: string, readonly id: string) {
    super(`${className} ${JSON.stringify(id)} not found`);
  }
}
