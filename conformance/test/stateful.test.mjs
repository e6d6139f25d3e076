// Stateful reconnect with the official client: the WebSocket is dropped in
// the middle of a stream of server messages, and every message still
// arrives exactly once, in order, on the same connection.
//
// The official client cannot survive a drop while it is still resending
// after a reconnect: its resend then fails and it stops the connection
// (HttpConnection's onclose handler in @microsoft/signalr 10.0.11) without
// reconnecting again. Dropping twice within one burst of messages hit that
// window now and then under load (the second drop came while the first
// reconnect's resend was still running), and the test then waited out its
// timeout. So each drop here comes in its own burst, after an invocation
// round trip has shown the previous reconnect complete, and a closed
// connection fails the test at once.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { COMBOS, connect, deferred, within } from "./client.mjs";
import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

const burst = 2500; // messages per SendSequence call
const dropAt = 500; // the socket is dropped after this many of each burst

for (const combo of COMBOS.filter(([transport]) => transport === "WebSockets")) {
    const [transport, protocol] = combo;
    describe(`${protocol} over ${transport}: stateful reconnect`, () => {
        it(`drops the socket mid-stream twice; all ${2 * burst} messages arrive once, in order`, async (t) => {
            const received = [];
            const closed = deferred();
            closed.promise.catch(() => {}); // only the races below report it
            let done = deferred();
            const drops = [];
            let c;
            c = await connect(t, `${server.url}/testhub`, combo, {
                configure: (b) => b.withStatefulReconnect(),
                before: (conn) =>
                    conn.on("Sequence", (i) => {
                        received.push(i);
                        const inBurst = received.length % burst || burst;
                        if (inBurst === dropAt) {
                            // Drop the socket without a close frame. The client
                            // must not be resending still (see above).
                            drops.push({ at: received.length, resending: conn._messageBuffer?._reconnectInProgress });
                            conn.connection.transport._webSocket.terminate();
                        }
                        if (inBurst === burst) {
                            done.resolve();
                        }
                    }),
            });
            c.onclose((e) => closed.reject(new Error(`the connection closed: ${e}`)));
            assert.equal(c.connection.features.reconnect, true, "negotiate offered stateful reconnect");
            const id = c.connectionId;
            for (let b = 0; b < 2; b++) {
                await c.send("SendSequence", burst);
                await within(Promise.race([done.promise, closed.promise]), 30_000, `burst ${b + 1} of ${burst} messages`);
                done = deferred();
                // A round trip: the reconnect and the client's resend are over.
                assert.equal(await within(Promise.race([c.invoke("GetCallerConnectionId"), closed.promise]), 30_000, "invoke"), id, "same connection");
            }
            assert.deepEqual(drops, [
                { at: dropAt, resending: false },
                { at: burst + dropAt, resending: false },
            ]);
            const outOfPlace = received.findIndex((v, i) => v !== i % burst);
            assert.equal(outOfPlace, -1, `message ${outOfPlace} is ${received[outOfPlace]}`);
            assert.equal(received.length, 2 * burst);
            assert.equal(c.state, "Connected");
        });
    });
}
