// A user whose connections stop sending heartbeats is announced as left
// after the presence timeout, though still connected.

import { test } from "node:test";
import assert from "node:assert/strict";

import { COMBOS, connect } from "./client.mjs";
import { sharedList, startServer } from "./server.mjs";

test("no heartbeat for the presence timeout: UserLeft", async (t) => {
    const srv = await startServer({ args: ["-presence-timeout", "1s"] });
    t.after(() => srv.stop());
    const { owner, list, users: [bob] } = await sharedList(srv.url, ["Bob"]);
    const a = await connect(t, srv.url, owner.token, COMBOS[0]);
    await a.conn.invoke("JoinList", list.id);
    const b = await connect(t, srv.url, bob.token, COMBOS[0]);
    await b.conn.invoke("JoinList", list.id);
    await a.next("UserJoined");
    // Ann keeps her heartbeat; Bob sends none.
    const beat = setInterval(() => a.conn.invoke("UpdatePresence", list.id).catch(() => {}), 300);
    t.after(() => clearInterval(beat));
    const left = await a.next("UserLeft", (p) => p.userId === bob.user.id);
    assert.equal(left.displayName, "Bob");
    assert.equal(b.conn.state, "Connected");
    assert.equal(a.events.filter((e) => e.name === "UserLeft" && e.payload.userId === owner.user.id).length, 0);
});
