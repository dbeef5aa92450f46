import type { KindStats } from "@bfmono/apps/bfDb/jobs/kindStats.ts";
import type { MinuteCount } from "@bfmono/apps/bfDb/jobs/jobThroughput.ts";
import type { UnhandledKind } from "@bfmono/apps/bfDb/jobs/jobStats.ts";
import type {
  LiveWorker,
  WorkerHoldings,
} from "@bfmono/apps/bfDb/jobs/workerRegistry.ts";
import { agoText, countText, spanText } from "../format.ts";
import {
  ActionButton,
  JobLink,
  Layout,
  type PageContext,
  StatusBadge,
} from "./layout.tsx";
import { ThroughputChart } from "./throughputChart.tsx";

/** What the overview shows. */
export interface OverviewData {
  kinds: KindStats[];
  minutes: MinuteCount[];
  /** Seconds the oldest due job of a served kind has waited (null: none waits). */
  oldestServedSeconds: number | null;
  unhandled: UnhandledKind[];
  workers: LiveWorker[];
  holdings: Map<string, WorkerHoldings>;
}

function jobsHref(filter: Record<string, string>): string {
  return `/dashboard/jobs?${new URLSearchParams(filter)}`;
}

/** The overview: totals, the last hour's chart, every (queue, type), and the live workers. */
export function OverviewPage(props: { ctx: PageContext; data: OverviewData }) {
  const { ctx, data } = props;
  const sum = (pick: (k: KindStats) => number) =>
    data.kinds.reduce((n, k) => n + pick(k), 0);
  return (
    <Layout title="Overview" section="overview" ctx={ctx} live>
      <section class="cards">
        <Card
          label="waiting"
          value={countText(sum((k) => k.waiting))}
          href={jobsHref({ status: "available" })}
        />
        <Card
          label="running"
          value={countText(sum((k) => k.inFlight))}
          href={jobsHref({ status: "running" })}
        />
        <Card
          label="failed (kept)"
          value={countText(sum((k) => k.deadLetter))}
          href={jobsHref({ status: "failed" })}
          alarm={sum((k) => k.deadLetter) > 0}
        />
        <Card
          label="oldest waiting (served)"
          value={data.oldestServedSeconds === null
            ? "—"
            : spanText(data.oldestServedSeconds)}
        />
        <Card label="live workers" value={String(data.workers.length)} />
      </section>

      <section>
        <h2>Last hour</h2>
        <ThroughputChart minutes={data.minutes} />
      </section>

      {data.unhandled.length > 0 && (
        <section class="warning">
          <h2>Waiting with no live worker to serve them</h2>
          <ul>
            {data.unhandled.map((u) => (
              <li>
                <a href={jobsHref({ queue: u.queue, type: u.type })}>
                  {u.queue} / {u.type}
                </a>: {countText(u.available)} waiting, oldest{" "}
                {spanText(u.oldestAgeSeconds)}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section>
        <h2>Queues and types</h2>
        <table>
          <thead>
            <tr>
              <th>queue</th>
              <th>type</th>
              <th class="num">waiting</th>
              <th class="num">scheduled</th>
              <th class="num">running</th>
              <th class="num">completed 1 h</th>
              <th class="num">failed 1 h</th>
              <th class="num">cancelled 1 h</th>
              <th class="num">failed (kept)</th>
              <th>oldest waiting</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {data.kinds.length === 0 && (
              <tr>
                <td colspan={11} class="empty">No jobs yet.</td>
              </tr>
            )}
            {data.kinds.map((k) => (
              <tr>
                <td>
                  <a href={jobsHref({ queue: k.queue })}>{k.queue}</a>
                </td>
                <td>
                  <a href={jobsHref({ queue: k.queue, type: k.type })}>
                    {k.type}
                  </a>
                </td>
                <td class="num">{countText(k.waiting)}</td>
                <td class="num">{countText(k.scheduled)}</td>
                <td class="num">{countText(k.inFlight)}</td>
                <td class="num">{countText(k.completedLastHour)}</td>
                <td class="num">{countText(k.failedLastHour)}</td>
                <td class="num">{countText(k.cancelledLastHour)}</td>
                <td class="num">
                  {k.deadLetter > 0
                    ? (
                      <a
                        href={jobsHref({
                          status: "failed",
                          queue: k.queue,
                          type: k.type,
                        })}
                      >
                        {countText(k.deadLetter)}
                      </a>
                    )
                    : "0"}
                </td>
                <td>
                  {k.oldestWaitingSeconds === null
                    ? ""
                    : spanText(k.oldestWaitingSeconds)}
                </td>
                <td>
                  {k.deadLetter > 0 && (
                    <ActionButton
                      ctx={ctx}
                      action="retry-failed"
                      fields={{ type: k.type }}
                      label="retry failed"
                      confirm={`Retry every failed ${k.type} job (of every queue)?`}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section>
        <h2>Live workers</h2>
        <table>
          <thead>
            <tr>
              <th>worker</th>
              <th>host / pid</th>
              <th class="num">slots</th>
              <th>serves</th>
              <th>started</th>
              <th>last heartbeat</th>
              <th>holds</th>
            </tr>
          </thead>
          <tbody>
            {data.workers.length === 0 && (
              <tr>
                <td colspan={7} class="empty">No live worker.</td>
              </tr>
            )}
            {data.workers.map((w) => {
              const holdings = data.holdings.get(w.workerId);
              return (
                <tr>
                  <td class="mono">{w.workerId}</td>
                  <td>
                    {w.host} / {w.pid}
                  </td>
                  <td class="num">{w.concurrency}</td>
                  <td>
                    {[...new Set(w.kinds.map((k) => `${k.queue}/${k.type}`))]
                      .join(", ")}
                  </td>
                  <td>{agoText(w.startedAt, ctx.now)}</td>
                  <td>{agoText(w.lastSeen, ctx.now)}</td>
                  <td>
                    {holdings
                      ? (
                        <details>
                          <summary>{countText(holdings.held)} jobs</summary>
                          <ul class="held">
                            {holdings.jobs.map((j) => (
                              <li>
                                <StatusBadge status={j.status} /> {j.type}{" "}
                                <JobLink id={j.id} /> {j.startedAt &&
                                  `started ${agoText(j.startedAt, ctx.now)}`}
                              </li>
                            ))}
                          </ul>
                        </details>
                      )
                      : "idle"}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

function Card(
  props: { label: string; value: string; href?: string; alarm?: boolean },
) {
  const body = (
    <>
      <span class="value">{props.value}</span>
      <span class="label">{props.label}</span>
    </>
  );
  return (
    <div class={props.alarm ? "card alarm" : "card"}>
      {props.href ? <a href={props.href}>{body}</a> : body}
    </div>
  );
}
