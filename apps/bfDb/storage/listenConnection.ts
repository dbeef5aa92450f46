import postgres from "postgres";
import type { Unlisten } from "./BfDbBackend.ts";

type Sql = ReturnType<typeof postgres>;

/** The postgres.js options the LISTEN connection shares with its backend's pool. */
export type ListenDriverOptions = Omit<
  postgres.Options<Record<string, never>>,
  "onnotify" | "onclose" | "max"
>;

/** Milliseconds before LISTEN is tried again after `attempt` failures: 100 ms doubling to 5 s. */
export function relistenDelayMs(attempt: number): number {
  return Math.min(5_000, 100 * 2 ** attempt);
}

interface Channel {
  readonly listeners: Set<(payload: string) => void>;
  readonly onRelisten: Set<() => void>;
  /** The first LISTEN's answer: a second subscriber waits for it too. */
  readonly subscribed: Promise<void>;
}

/** `channel` as a quoted SQL identifier (LISTEN takes no bound parameter). */
function quoteChannel(channel: string): string {
  return `"${channel.replaceAll('"', '""')}"`;
}

/**
 * One dedicated connection that LISTENs on channels and keeps listening: when it drops, it
 * reconnects and LISTENs on every channel again, retrying until the server takes it, and then
 * tells each subscriber (`onRelisten`), since the notices sent meanwhile were lost. postgres.js's
 * own `listen` re-subscribes from its close handler with every failure swallowed (each refused
 * reconnect queues one more LISTEN) and calls its `onlisten` for each of them, so a caller cannot
 * tell a subscription that is back from one that is still being retried.
 */
export class ListenConnection {
  readonly #sql: Sql;
  readonly #channels = new Map<string, Channel>();
  /** Set on every drop; the resubscribe loop runs while it is set. */
  #lost = false;
  #resubscribing = false;
  #closed = false;
  /** Ends the resubscribe loop's wait at once on close. */
  #wake: (() => void) | undefined;

  constructor(url: string, options: ListenDriverOptions) {
    // `onnotify` is the driver's hook for NotificationResponse messages (what its own `listen`
    // uses); its type definitions leave it out.
    const notices = {
      onnotify: (channel: string, payload: string) => {
        const listeners = this.#channels.get(channel)?.listeners;
        if (listeners) { for (const listener of listeners) listener(payload); }
      },
    } as object;
    this.#sql = postgres(url, {
      ...options,
      ...notices,
      max: 1,
      // Never closed for being idle or old: a LISTEN lives on its connection.
      idle_timeout: 0,
      max_lifetime: 0,
      fetch_types: false,
      onclose: () => this.#onDropped(),
    });
  }

  /**
   * Subscribes `onMessage` to `channel`; resolves once the server has the LISTEN.
   * `onRelisten` runs each time the subscription is back after a dropped connection: notices
   * sent while it was down were never delivered.
   */
  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onRelisten?: () => void,
  ): Promise<Unlisten> {
    if (this.#closed) throw new Error("the LISTEN connection is closed");
    let entry = this.#channels.get(channel);
    if (!entry) {
      const created: Channel = {
        listeners: new Set(),
        onRelisten: new Set(),
        subscribed: this.#sql.unsafe(`LISTEN ${quoteChannel(channel)}`).then(
          () => {},
        ),
      };
      entry = created;
      this.#channels.set(channel, created);
      created.subscribed.catch(() => {
        if (this.#channels.get(channel) === created) {
          this.#channels.delete(channel);
        }
      });
    }
    // Distinct wrappers, so the same function subscribed twice is two subscriptions.
    const listener = (payload: string) => onMessage(payload);
    const relisten = onRelisten && (() => onRelisten());
    entry.listeners.add(listener);
    if (relisten) entry.onRelisten.add(relisten);
    const subscribed = entry;
    await subscribed.subscribed;
    return async () => {
      subscribed.listeners.delete(listener);
      if (relisten) subscribed.onRelisten.delete(relisten);
      if (subscribed.listeners.size > 0) return;
      if (this.#channels.get(channel) !== subscribed) return;
      this.#channels.delete(channel);
      // A connection that is gone listens to nothing; the resubscribe loop skips this channel.
      await this.#sql.unsafe(`UNLISTEN ${quoteChannel(channel)}`).catch(
        () => {},
      );
    };
  }

  /** Closes the connection; no LISTEN is tried again. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#sql.end({ timeout: 5 });
  }

  #onDropped(): void {
    if (this.#closed || this.#channels.size === 0) return;
    this.#lost = true;
    if (!this.#resubscribing) void this.#resubscribe();
  }

  /** LISTENs on every channel again until one pass succeeds with no drop in between. */
  async #resubscribe(): Promise<void> {
    this.#resubscribing = true;
    try {
      for (let attempt = 0; this.#lost && !this.#closed; attempt++) {
        this.#lost = false;
        try {
          const channels = [...this.#channels.entries()];
          // A statement opens the connection again (postgres.js connects lazily).
          for (const [name] of channels) {
            await this.#sql.unsafe(`LISTEN ${quoteChannel(name)}`);
          }
          if (this.#lost) continue;
          for (const [, entry] of channels) {
            for (const relisten of entry.onRelisten) relisten();
          }
          return;
        } catch {
          this.#lost = true;
          await this.#pause(relistenDelayMs(attempt));
        }
      }
    } finally {
      this.#resubscribing = false;
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
