import type { OperatorCommands } from "../../ops/operatorCommands.ts";

/** What one dashboard action needs, says and does. */
export interface DashboardAction {
  /** The form fields naming its target; each must be present and non-empty unless optional. */
  fields: readonly string[];
  /** Fields that may be empty (retry-failed of every type). */
  optional?: readonly string[];
  /** The confirmation question for a request that was not confirmed yet. */
  question(fields: Record<string, string>): string;
  /** Performs it through the operator commands; returns what to tell the operator. */
  run(
    operator: OperatorCommands,
    fields: Record<string, string>,
  ): Promise<string>;
}

const quoted = (s: string) => JSON.stringify(s);

/**
 * Every action the dashboard offers, by the name in its URL (`/dashboard/actions/<name>`). Each
 * runs an operator command, so the dashboard, `bft` and the `/ops/` routes share one set of
 * rules (what can be retried, cancelled, deleted).
 */
export const DASHBOARD_ACTIONS: Readonly<Record<string, DashboardAction>> = {
  retry: {
    fields: ["id"],
    question: (f) => `Retry job ${f.id} with a fresh set of attempts?`,
    run: async (o, f) => {
      await o.retry({ id: f.id });
      return `Job ${f.id} is waiting to run again.`;
    },
  },
  "retry-failed": {
    fields: ["type"],
    optional: ["type"],
    question: (f) =>
      f.type
        ? `Retry every failed ${quoted(f.type)} job?`
        : "Retry every failed job?",
    run: async (o, f) => {
      const { retried } = await o.retry({
        failed: true,
        ...(f.type ? { type: f.type } : {}),
      });
      return `${retried.length} failed ${
        f.type ? `${quoted(f.type)} ` : ""
      }jobs are waiting to run again.`;
    },
  },
  cancel: {
    fields: ["id"],
    question: (f) => `Cancel job ${f.id}? A running handler is told to stop.`,
    run: async (o, f) => {
      const { cancelled } = await o.cancel({
        id: f.id,
        reason: "cancelled from the dashboard",
      });
      return `Job ${f.id} is cancelled (it was ${cancelled[0]?.was}).`;
    },
  },
  delete: {
    fields: ["id"],
    question: (f) => `Delete job ${f.id} for good?`,
    run: async (o, f) => {
      await o.deleteJob({ id: f.id });
      return `Job ${f.id} is deleted.`;
    },
  },
  "run-schedule": {
    fields: ["name"],
    question: (f) => `Enqueue a job of schedule ${quoted(f.name)} now?`,
    run: async (o, f) => {
      const { jobId } = await o.schedule({ name: f.name, action: "run" });
      return `Schedule ${quoted(f.name)} enqueued job ${jobId}.`;
    },
  },
  "pause-schedule": {
    fields: ["name"],
    question: (f) => `Pause schedule ${quoted(f.name)}?`,
    run: async (o, f) => {
      await o.schedule({ name: f.name, action: "pause" });
      return `Schedule ${quoted(f.name)} is paused.`;
    },
  },
  "resume-schedule": {
    fields: ["name"],
    question: (f) => `Resume schedule ${quoted(f.name)}?`,
    run: async (o, f) => {
      await o.schedule({ name: f.name, action: "resume" });
      return `Schedule ${quoted(f.name)} is running again.`;
    },
  },
  "pause-queue": {
    fields: ["name"],
    question: (f) =>
      `Pause queue ${quoted(f.name)}? Running jobs finish; nothing new starts.`,
    run: async (o, f) => {
      await o.setQueue({ name: f.name, paused: true });
      return `Queue ${quoted(f.name)} is paused.`;
    },
  },
  "resume-queue": {
    fields: ["name"],
    question: (f) => `Resume queue ${quoted(f.name)}?`,
    run: async (o, f) => {
      await o.setQueue({ name: f.name, paused: false });
      return `Queue ${quoted(f.name)} is running again.`;
    },
  },
};

/** The longest value a form field of an action may have. */
const MAX_FIELD_LENGTH = 500;

/**
 * The target fields of `action` from a submitted form, or a message saying which is missing
 * or too long.
 */
export function actionFields(
  action: DashboardAction,
  form: Record<string, unknown>,
): Record<string, string> | string {
  const fields: Record<string, string> = {};
  for (const name of action.fields) {
    const value = form[name] ?? "";
    if (typeof value !== "string" || value.length > MAX_FIELD_LENGTH) {
      return `${name} must be text of at most ${MAX_FIELD_LENGTH} characters`;
    }
    if (value === "" && !action.optional?.includes(name)) {
      return `${name} is missing`;
    }
    fields[name] = value;
  }
  return fields;
}
