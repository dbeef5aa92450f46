/**
 * The eight scenarios, in order.
 *
 * @module
 */
import type { Scenario } from "../harness.ts";
import { backendKills } from "./backendKills.ts";
import { connectionExhaustion } from "./connectionExhaustion.ts";
import { crash } from "./crash.ts";
import { gracefulStop } from "./gracefulStop.ts";
import { pinnedXmin } from "./pinnedXmin.ts";
import { postgresRestart } from "./postgresRestart.ts";
import { repeatedCrashes } from "./repeatedCrashes.ts";
import { saturation } from "./saturation.ts";

/** Every scenario, by number. */
export const SCENARIOS: readonly Scenario[] = [
  crash,
  repeatedCrashes,
  postgresRestart,
  backendKills,
  connectionExhaustion,
  pinnedXmin,
  gracefulStop,
  saturation,
];
