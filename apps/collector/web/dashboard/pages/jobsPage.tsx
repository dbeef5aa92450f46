import type {
  JobBrowseFilter,
  JobPage,
} from "@bfmono/apps/bfDb/jobs/browseJobs.ts";
import { JOB_STATUSES } from "@bfmono/apps/bfDb/jobs/jobStates.ts";
import { agoText } from "../format.ts";
import { JobLink, Layout, type PageContext, StatusBadge } from "./layout.tsx";

/** The filter fields a job list keeps in its links (the keyset is added per link). */
function filterQuery(
  filter: JobBrowseFilter,
  extra: Record<string, string>,
): string {
  const params = new URLSearchParams();
  for (const key of ["status", "type", "queue", "org", "text"] as const) {
    const value = filter[key];
    if (value) params.set(key, value);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return `/dashboard/jobs?${params}`;
}

/** The job list: a filter form, a page of jobs newest first, and keyset links to the pages beside it. */
export function JobsPage(
  props: { ctx: PageContext; filter: JobBrowseFilter; page: JobPage },
) {
  const { ctx, filter, page } = props;
  return (
    <Layout title="Jobs" section="jobs" ctx={ctx}>
      <form method="get" action="/dashboard/jobs" class="filters">
        <label>
          status
          <select name="status">
            <option value="">any</option>
            {JOB_STATUSES.map((s) => (
              <option value={s} selected={filter.status === s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          type <input name="type" value={filter.type ?? ""} />
        </label>
        <label>
          queue <input name="queue" value={filter.queue ?? ""} />
        </label>
        <label>
          org <input name="org" value={filter.org ?? ""} />
        </label>
        <label>
          payload or error contains{" "}
          <input name="text" type="search" value={filter.text ?? ""} />
        </label>
        <button type="submit">Filter</button>
        <a href="/dashboard/jobs">clear</a>
      </form>
      <table class="jobs">
        <thead>
          <tr>
            <th>id</th>
            <th>status</th>
            <th>type</th>
            <th>queue</th>
            <th>org</th>
            <th class="num">attempts</th>
            <th>created</th>
            <th>finished</th>
            <th>last error</th>
          </tr>
        </thead>
        <tbody>
          {page.jobs.length === 0 && (
            <tr>
              <td colspan={9} class="empty">No job matches.</td>
            </tr>
          )}
          {page.jobs.map((job) => (
            <tr data-job={job.id}>
              <td>
                <JobLink id={job.id} />
              </td>
              <td>
                <StatusBadge status={job.status} />
              </td>
              <td>{job.type}</td>
              <td>{job.queue}</td>
              <td class="mono">{job.org}</td>
              <td class="num">{job.attempts}/{job.maxAttempts}</td>
              <td title={job.createdAt}>{agoText(job.createdAt, ctx.now)}</td>
              <td title={job.finishedAt ?? ""}>
                {agoText(job.finishedAt, ctx.now)}
              </td>
              <td class="error-text">{job.error ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav class="pager">
        {page.newer
          ? (
            <a rel="prev" href={filterQuery(filter, { after: page.newer })}>
              ← newer
            </a>
          )
          : <span></span>}
        {page.older && (
          <a rel="next" href={filterQuery(filter, { before: page.older })}>
            older →
          </a>
        )}
      </nav>
    </Layout>
  );
}
