import type { QueueOverview } from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import { countText, spanText } from "../format.ts";
import { ActionButton, Layout, type PageContext } from "./layout.tsx";

/** Every queue with jobs or settings: what waits and runs, its limits, and pause or resume. */
export function QueuesPage(
  props: { ctx: PageContext; queues: QueueOverview[] },
) {
  const { ctx, queues } = props;
  return (
    <Layout title="Queues" section="queues" ctx={ctx} live>
      <h1>Queues</h1>
      <table>
        <thead>
          <tr>
            <th>queue</th>
            <th class="num">waiting</th>
            <th class="num">running</th>
            <th>global concurrency</th>
            <th>rate limit</th>
            <th>fair by org</th>
            <th>state</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {queues.length === 0 && (
            <tr>
              <td colspan={8} class="empty">No queue has jobs or settings.</td>
            </tr>
          )}
          {queues.map((q) => (
            <tr data-queue={q.queue}>
              <td>
                <a
                  href={`/dashboard/jobs?${new URLSearchParams({
                    queue: q.queue,
                  })}`}
                >
                  {q.queue}
                </a>
              </td>
              <td class="num">{countText(q.waiting)}</td>
              <td class="num">{countText(q.running)}</td>
              <td>{q.globalConcurrency ?? "none"}</td>
              <td>
                {q.rateLimit
                  ? `${q.rateLimit.count} per ${
                    spanText(q.rateLimit.periodMs / 1000)
                  }`
                  : "none"}
              </td>
              <td>{q.fairByOrg ? "yes" : "no"}</td>
              <td>
                {q.paused
                  ? <span class="status status-failed">paused</span>
                  : "running"}
              </td>
              <td>
                {q.paused
                  ? (
                    <ActionButton
                      ctx={ctx}
                      action="resume-queue"
                      fields={{ name: q.queue }}
                      label="Resume"
                      confirm={`Resume queue ${q.queue}? Workers start claiming its jobs again.`}
                    />
                  )
                  : (
                    <ActionButton
                      ctx={ctx}
                      action="pause-queue"
                      fields={{ name: q.queue }}
                      label="Pause"
                      confirm={`Pause queue ${q.queue}? Running jobs finish; nothing new starts.`}
                      danger
                    />
                  )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
