/** The org that system work (workers, migrations, operators) acts as. */
export const SYSTEM_ORG_ID = "bf_system";

/** Who is acting: every node read and write is scoped to the viewer's org. */
export class CurrentViewer {
  private constructor(
    readonly orgId: string,
    readonly personId: string,
    readonly isSystem: boolean,
  ) {}

  /** A viewer acting in `orgId`, as `personId` (defaults to the org itself, for scripts). */
  static forOrg(orgId: string, personId: string = orgId): CurrentViewer {
    if (typeof orgId !== "string" || orgId.length === 0) {
      throw new TypeError(
        "CurrentViewer.forOrg: orgId must be a non-empty string",
      );
    }
    if (typeof personId !== "string" || personId.length === 0) {
      throw new TypeError(
        "CurrentViewer.forOrg: personId must be a non-empty string",
      );
    }
    return new CurrentViewer(orgId, personId, false);
  }

  /** The viewer workers and operator tasks act as. */
  static system(): CurrentViewer {
    return new CurrentViewer(SYSTEM_ORG_ID, "bf_system_worker", true);
  }
}
