import type { Child } from "hono/jsx";

/** What every page knows about the request it answers. */
export interface PageContext {
  /** The CSRF token action forms carry. */
  csrf: string;
  /** DASHBOARD_READONLY: no action is offered. */
  readOnly: boolean;
  /** Whether the caller logged in with DASHBOARD_TOKEN (and may log out). */
  session: boolean;
  /** The server's clock when the page was made, for ages ("12 s ago"). */
  now: number;
  /** This page's path and query, where an action returns to. */
  here: string;
  /** The outcome of the action that led here, shown once on top. */
  notice?: string;
  /** An action's refusal, shown on top. */
  error?: string;
}

/** The pages of the navigation bar. */
export type Section = "overview" | "jobs" | "queues" | "schedules";

const SECTIONS: { key: Section; label: string; href: string }[] = [
  { key: "overview", label: "Overview", href: "/dashboard" },
  { key: "jobs", label: "Jobs", href: "/dashboard/jobs" },
  { key: "queues", label: "Queues", href: "/dashboard/queues" },
  { key: "schedules", label: "Schedules", href: "/dashboard/schedules" },
];

/** The page shell: head, navigation, the notice of the last action, and the content. */
export function Layout(
  props: {
    title: string;
    section?: Section;
    ctx?: PageContext;
    /** Offer the auto-refresh switch (pages that show live figures). */
    live?: boolean;
    children?: Child;
  },
) {
  const { ctx } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · bfmono jobs`}</title>
        <link rel="icon" href="data:," />
        {ctx && <meta name="csrf-token" content={ctx.csrf} />}
        <link rel="stylesheet" href="/dashboard/assets/dashboard.css" />
        <script src="/dashboard/assets/dashboard.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/dashboard">bfmono jobs</a>
          {ctx && (
            <nav>
              {SECTIONS.map((s) => (
                <a
                  href={s.href}
                  aria-current={s.key === props.section ? "page" : undefined}
                >
                  {s.label}
                </a>
              ))}
            </nav>
          )}
          <span class="spacer"></span>
          {ctx?.readOnly && <span class="badge">read-only</span>}
          {props.live && (
            <label class="refresh">
              <input type="checkbox" id="auto-refresh" /> auto-refresh
            </label>
          )}
          {ctx?.session && (
            <form method="post" action="/dashboard/logout" class="inline">
              <input type="hidden" name="csrf" value={ctx.csrf} />
              <button type="submit" class="link">log out</button>
            </form>
          )}
        </header>
        <main id="main">
          {ctx?.notice && <p class="notice" role="status">{ctx.notice}</p>}
          {ctx?.error && <p class="error" role="alert">{ctx.error}</p>}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/**
 * A button that performs a dashboard action: a POST form carrying the CSRF token, the target's
 * fields and where to come back to, confirmed before it runs (by a dialog with scripts, by a
 * confirmation page without). Read-only dashboards show nothing.
 */
export function ActionButton(
  props: {
    ctx: PageContext;
    action: string;
    fields: Record<string, string>;
    label: string;
    /** The question the confirmation asks. */
    confirm: string;
    danger?: boolean;
  },
) {
  const { ctx } = props;
  if (ctx.readOnly) return null;
  return (
    <form
      method="post"
      action={`/dashboard/actions/${props.action}`}
      class="inline action"
      data-confirm={props.confirm}
    >
      <input type="hidden" name="csrf" value={ctx.csrf} />
      <input type="hidden" name="back" value={ctx.here} />
      {Object.entries(props.fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button
        type="submit"
        class={props.danger ? "danger" : undefined}
        data-action={props.action}
      >
        {props.label}
      </button>
    </form>
  );
}

/** A job status as a coloured badge. */
export function StatusBadge(props: { status: string }) {
  return <span class={`status status-${props.status}`}>{props.status}</span>;
}

/** A link to one job's page. */
export function JobLink(props: { id: string }) {
  return (
    <a class="mono" href={`/dashboard/jobs/${encodeURIComponent(props.id)}`}>
      {props.id}
    </a>
  );
}
