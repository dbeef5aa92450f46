import { type OperatorCommands, OperatorError } from "./operatorCommands.ts";

/**
 * Operator commands sent to a live worker's HTTP port (how the CLI reaches the embedded
 * database), with `token` (DASHBOARD_TOKEN) as the bearer when the worker wants one.
 */
export function httpOperatorCommands(
  baseUrl: string,
  token?: string,
): OperatorCommands {
  async function call<T>(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<T> {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (response.status === 400) throw new OperatorError(data?.error ?? text);
    if (!response.ok) {
      throw new Error(
        `worker answered ${response.status}: ${data?.error ?? text}`,
      );
    }
    return data as T;
  }
  return {
    enqueue: (request) => call("POST", "/ops/enqueue", request),
    status: () => call("GET", "/ops/status"),
    list: (filter) => call("POST", "/ops/list", filter),
    retry: (selection) => call("POST", "/ops/retry", selection),
    cancel: (selection) => call("POST", "/ops/cancel", selection),
    deleteJob: (request) => call("POST", "/ops/delete", request),
    show: (request) => call("POST", "/ops/show", request),
    queues: () => call("POST", "/ops/queues", {}),
    setQueue: (request) => call("POST", "/ops/queue", request),
    schedules: () => call("POST", "/ops/schedules", {}),
    schedule: (request) => call("POST", "/ops/schedule", request),
    prune: (request) => call("POST", "/ops/prune", request),
    migrate: () => call("POST", "/ops/migrate", {}),
  };
}
