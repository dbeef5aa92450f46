import { Layout, type PageContext } from "./layout.tsx";

/**
 * The page that confirms an action when no script asked already: the question, and the same
 * form again with `confirmed` set.
 */
export function ConfirmPage(
  props: {
    ctx: PageContext;
    action: string;
    question: string;
    fields: Record<string, string>;
    back: string;
  },
) {
  const { ctx } = props;
  return (
    <Layout title="Confirm" ctx={ctx}>
      <h1>Confirm</h1>
      <p class="question">{props.question}</p>
      <form method="post" action={`/dashboard/actions/${props.action}`}>
        <input type="hidden" name="csrf" value={ctx.csrf} />
        <input type="hidden" name="back" value={props.back} />
        <input type="hidden" name="confirmed" value="1" />
        {Object.entries(props.fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <button type="submit" id="confirm">Yes, do it</button>{" "}
        <a href={props.back}>No, go back</a>
      </form>
    </Layout>
  );
}

/** The login form shown when DASHBOARD_TOKEN is set and the browser has no session. */
export function LoginPage(
  props: { next: string; failed?: boolean },
) {
  return (
    <Layout title="Log in">
      <h1>Log in</h1>
      {props.failed && (
        <p class="error" role="alert">That is not this dashboard's token.</p>
      )}
      <form method="post" action="/dashboard/login" class="login">
        <input type="hidden" name="next" value={props.next} />
        <label>
          DASHBOARD_TOKEN{" "}
          <input
            type="password"
            name="token"
            autocomplete="current-password"
            required
          />
        </label>
        <button type="submit">Log in</button>
      </form>
    </Layout>
  );
}

/** A page that says one thing: not found, refused, or a request that cannot be served. */
export function MessagePage(
  props: { ctx?: PageContext; title: string; message: string },
) {
  return (
    <Layout title={props.title} ctx={props.ctx}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/dashboard">Back to the overview</a>
      </p>
    </Layout>
  );
}
