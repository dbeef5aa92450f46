// The LISTEN connection against a real server: notices arrive, and a subscription outlives a
// dropped connection even when the first attempts to reconnect are refused.
import assert from "node:assert/strict";
import { dbTest } from "../testing/testDatabase.ts";
import {
  allowConnections,
  refuseConnections,
  type ServerAdmin,
  serverAdmin,
} from "../testing/serverAdmin.ts";
import { sleep, waitFor } from "../testing/waitFor.ts";
import { ListenConnection, relistenDelayMs } from "./listenConnection.ts";

const APP_NAME = "bftest_listen_connection";

function listenerFor(url: string): ListenConnection {
  return new ListenConnection(url, {
    onnotice: () => {},
    backoff: () => 0.05,
    connection: { application_name: APP_NAME },
  });
}

/** The listener's backends on `database`: the LISTEN connection, when there is one. */
async function listenerBackends(
  sql: ServerAdmin,
  database: string,
): Promise<number> {
  const rows = await sql`SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = ${database} AND application_name = ${APP_NAME}`;
  return rows[0].n;
}

dbTest(
  "notices reach every subscriber of a channel until it unlistens; names are quoted",
  async (db) => {
    const listener = listenerFor(db.url);
    try {
      const heard: string[] = [];
      const channel = `odd "name"; DROP TABLE bfdb; --`;
      const first = await listener.listen(channel, (p) => heard.push(`a:${p}`));
      const second = await listener.listen(
        channel,
        (p) => heard.push(`b:${p}`),
      );
      await db.backend.query("SELECT pg_notify($1, $2)", [channel, "one"]);
      await waitFor(() => heard.length === 2, "both subscribers to hear");
      assert.deepEqual(heard.sort(), ["a:one", "b:one"]);

      await first();
      await db.backend.query("SELECT pg_notify($1, $2)", [channel, "two"]);
      await waitFor(() => heard.length === 3, "the remaining subscriber");
      assert.equal(heard[2], "b:two");

      await second();
      const rows = await db.backend.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_class WHERE relname = 'bfdb'",
      );
      assert.equal(rows[0].n, 1);
    } finally {
      await listener.close();
    }
  },
);

dbTest(
  "a dropped connection is listened again once the server takes it, however many attempts fail",
  async (db) => {
    await using sql = serverAdmin();
    const listener = listenerFor(db.url);
    try {
      const heard: string[] = [];
      let relistened = 0;
      await listener.listen("jobs", (p) => heard.push(p), () => relistened++);
      await db.backend.query("SELECT pg_notify('jobs', 'before')");
      await waitFor(() => heard.length === 1, "the notice before the outage");

      try {
        await refuseConnections(sql, db.name);
        // Long enough for several refused attempts: the resubscribe loop must keep trying.
        await sleep(
          relistenDelayMs(0) + relistenDelayMs(1) + relistenDelayMs(2),
        );
        assert.equal(await listenerBackends(sql, db.name), 0);
        assert.equal(relistened, 0);
      } finally {
        await allowConnections(sql, db.name);
      }

      await waitFor(() => relistened === 1, "the LISTEN to be back");
      await db.backend.query("SELECT pg_notify('jobs', 'after')");
      await waitFor(() => heard.length === 2, "the notice after the outage");
      assert.deepEqual(heard, ["before", "after"]);
    } finally {
      await listener.close();
    }
  },
);

dbTest(
  "close stops the retries: no connection comes back after it",
  async (db) => {
    await using sql = serverAdmin();
    const listener = listenerFor(db.url);
    let closed = false;
    try {
      await listener.listen("jobs", () => {});
      await refuseConnections(sql, db.name);
      await sleep(relistenDelayMs(0) + relistenDelayMs(1));
      await listener.close();
      closed = true;
      await allowConnections(sql, db.name);
      await sleep(relistenDelayMs(5));
      assert.equal(await listenerBackends(sql, db.name), 0);
      await assert.rejects(
        listener.listen("jobs", () => {}),
        /the LISTEN connection is closed/,
      );
    } finally {
      await allowConnections(sql, db.name);
      if (!closed) await listener.close();
    }
  },
);
