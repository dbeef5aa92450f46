import type { SystemId } from "../lib/args.ts";
import { graphile } from "./graphile.ts";
import { ours } from "./ours.ts";
import { pgboss } from "./pgboss.ts";
import type { System } from "./system.ts";

/** Every system the bench knows, by id. */
export const ALL_SYSTEMS: Record<SystemId, System> = { ours, graphile, pgboss };
