// Stateful reconnect with the official client: the WebSocket is dropped in
// the middle of a stream of server messages, and every message still
// arrives exactly once, in order, on the same connection.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { COMBOS, connect, deferred, within } from "./client.mjs";
import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

const count = 5000;

for (const combo of COMBOS.filter(([transport]) => transport === "WebSockets")) {
    const [transport, protocol] = combo;
    describe(`${protocol} over ${transport}: stateful reconnect`, () => {
        it(`drops the socket mid-stream; all ${count} messages arrive once, in order`, async (t) => {
            const received = [];
            const all = deferred();
            let drops = 0;
            let c;
            c = await connect(t, `${server.url}/testhub`, combo, {
                configure: (b) => b.withStatefulReconnect(),
                before: (conn) =>
                    conn.on("Sequence", (i) => {
                        received.push(i);
                        // Drop the socket without a close frame twice, mid-stream.
                        if (received.length === 500 || received.length === 2500) {
                            drops++;
                            conn.connection.transport._webSocket.terminate();
                        }
                        if (received.length === count) {
                            all.resolve();
                        }
                    }),
            });
            assert.equal(c.connection.features.reconnect, true, "negotiate offered stateful reconnect");
            const id = c.connectionId;
            await c.send("SendSequence", count);
            await within(all.promise, 30_000, `${count} messages`);
            assert.equal(drops, 2);
            const outOfPlace = received.findIndex((v, i) => v !== i);
            assert.equal(outOfPlace, -1, `message ${outOfPlace} is ${received[outOfPlace]}`);
            assert.equal(received.length, count);
            assert.equal(await c.invoke("GetCallerConnectionId"), id, "same connection");
            assert.equal(c.state, "Connected");
        });
    });
}
