import { isStorableString } from "./classes/jsonValue.ts";

/** The org that system work (workers, migrations, operators) acts as. */
export const SYSTEM_ORG_ID = "bf_system";

/** The longest org or person id. */
export const MAX_VIEWER_ID_LENGTH = 200;

function checkId(name: string, value: unknown): void {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(
      `CurrentViewer.forOrg: ${name} must be a non-empty string`,
    );
  }
  if (value.length > MAX_VIEWER_ID_LENGTH || !isStorableString(value)) {
    throw new TypeError(
      `CurrentViewer.forOrg: ${name} must be at most ${MAX_VIEWER_ID_LENGTH} characters, ` +
        "without NUL characters or lone surrogates",
    );
  }
}

/** Who is acting: every node read and write is scoped to the viewer's org. */
export class CurrentViewer {
  private constructor(
    readonly orgId: string,
    readonly personId: string,
    readonly isSystem: boolean,
  ) {}

  /** A viewer acting in `orgId`, as `personId` (defaults to the org itself, for scripts). */
  static forOrg(orgId: string, personId: string = orgId): CurrentViewer {
    checkId("orgId", orgId);
    checkId("personId", personId);
    return new CurrentViewer(orgId, personId, false);
  }

  /** The viewer workers and operator tasks act as. */
  static system(): CurrentViewer {
    return new CurrentViewer(SYSTEM_ORG_ID, "bf_system_worker", true);
  }
}
