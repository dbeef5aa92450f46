import type { JobDetail } from "../../../ops/operatorCommands.ts";
import { agoText, jsonText } from "../format.ts";
import {
  ActionButton,
  Layout,
  type PageContext,
  StatusBadge,
} from "./layout.tsx";

/** An edge between the job and another graph node, seen from the job. */
export interface JobEdge {
  id: string;
  role: string;
  /** "out": the job points at the node; "in": the node points at the job. */
  direction: "out" | "in";
  nodeId: string;
  nodeClass: string | null;
}

/** One attempt's entry in a job's error history. */
interface HistoryEntry {
  attempt?: number;
  at?: string;
  error?: string;
  permanent?: boolean;
  uncharged?: boolean;
  cancelled?: boolean;
}

const TIMES = [
  ["created", "createdAt"],
  ["runs at", "runAt"],
  ["started", "startedAt"],
  ["lease until", "lockedUntil"],
  ["finished", "finishedAt"],
  ["cancelled", "cancelledAt"],
  ["updated", "updatedAt"],
] as const;

/** One job's whole story: its fields, payload, result, progress, error history, edges and actions. */
export function JobPage(
  props: { ctx: PageContext; job: JobDetail; edges: JobEdge[] },
) {
  const { ctx, job, edges } = props;
  const p = job.props as Record<string, unknown>;
  const status = String(p.status);
  const times: Record<string, unknown> = {
    ...p,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
  const history = (Array.isArray(p.errors) ? p.errors : []) as HistoryEntry[];
  const waitingOrHeld = ["available", "claimed", "running"].includes(status);
  return (
    <Layout title={`Job ${job.id}`} section="jobs" ctx={ctx}>
      <h1>
        <span class="mono">{job.id}</span> <StatusBadge status={status} />
      </h1>
      <div class="actions">
        {(status === "failed" || status === "cancelled") && (
          <ActionButton
            ctx={ctx}
            action="retry"
            fields={{ id: job.id }}
            label="Retry"
            confirm={`Retry job ${job.id} (${p.type}) with a fresh set of attempts?`}
          />
        )}
        {waitingOrHeld && (
          <ActionButton
            ctx={ctx}
            action="cancel"
            fields={{ id: job.id }}
            label="Cancel"
            confirm={`Cancel job ${job.id} (${p.type})? A running handler is told to stop.`}
            danger
          />
        )}
        {!waitingOrHeld && (
          <ActionButton
            ctx={ctx}
            action="delete"
            fields={{ id: job.id }}
            label="Delete"
            confirm={`Delete job ${job.id} (${p.type}) for good?`}
            danger
          />
        )}
      </div>
      <dl class="fields">
        <dt>type</dt>
        <dd>{String(p.type)}</dd>
        <dt>queue</dt>
        <dd>{String(p.queue)}</dd>
        <dt>org</dt>
        <dd class="mono">{job.org}</dd>
        <dt>attempts</dt>
        <dd>
          {String(p.attempts)} of {String(p.maxAttempts)}
          {typeof p.snoozes === "number" && `, snoozed ${p.snoozes} times`}
        </dd>
        <dt>priority</dt>
        <dd>{String(p.priority)}</dd>
        <dt>worker</dt>
        <dd class="mono">
          {typeof p.workerId === "string" ? p.workerId : "—"}
        </dd>
        {TIMES.map(([label, key]) => {
          const at = times[key];
          return typeof at === "string"
            ? (
              <>
                <dt>{label}</dt>
                <dd>
                  <time datetime={at}>{at}</time> ({agoText(at, ctx.now)})
                </dd>
              </>
            )
            : null;
        })}
        {typeof p.uniqueKey === "string" && (
          <>
            <dt>unique key</dt>
            <dd>
              {p.uniqueKey} ({String(p.uniqueScope)})
            </dd>
          </>
        )}
        {typeof p.error === "string" && (
          <>
            <dt>last error</dt>
            <dd class="error-text">{p.error}</dd>
          </>
        )}
      </dl>
      <h2>Payload</h2>
      <pre class="json" id="payload">{jsonText(p.payload)}</pre>
      {p.result !== undefined && (
        <>
          <h2>Result</h2>
          <pre class="json" id="result">{jsonText(p.result)}</pre>
        </>
      )}
      {p.progress !== undefined && (
        <>
          <h2>Progress</h2>
          <pre class="json" id="progress">{jsonText(p.progress)}</pre>
        </>
      )}
      <h2>Attempts and errors</h2>
      {history.length === 0 ? <p class="empty">No error recorded.</p> : (
        <table>
          <thead>
            <tr>
              <th class="num">attempt</th>
              <th>at</th>
              <th>error</th>
              <th>note</th>
            </tr>
          </thead>
          <tbody>
            {history.map((h) => (
              <tr>
                <td class="num">{String(h.attempt ?? "")}</td>
                <td>{h.at ?? ""}</td>
                <td class="error-text">{String(h.error ?? "")}</td>
                <td>
                  {[
                    h.permanent && "permanent",
                    h.uncharged && "not counted",
                    h.cancelled && "cancelled",
                  ].filter(Boolean).join(", ")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Edges</h2>
      {edges.length === 0
        ? <p class="empty">Not linked to any other node.</p>
        : (
          <table>
            <thead>
              <tr>
                <th>direction</th>
                <th>role</th>
                <th>node</th>
                <th>class</th>
              </tr>
            </thead>
            <tbody>
              {edges.map((e) => (
                <tr>
                  <td>{e.direction === "out" ? "job →" : "→ job"}</td>
                  <td>{e.role}</td>
                  <td class="mono">{e.nodeId}</td>
                  <td>{e.nodeClass ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      <h2>Every prop</h2>
      <pre class="json" id="props">{jsonText(job.props)}</pre>
    </Layout>
  );
}
