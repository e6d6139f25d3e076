// Connection-level cases with the official client, for every
// [transport, protocol] combination in COMBOS: authorization, negotiate
// redirects, skipNegotiation, the hub that cannot be created, and automatic
// reconnect.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { COMBOS, builder, connect, deferred, rejection, within } from "./client.mjs";
import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

const wait = 10_000;

const getToken = async () => {
    const res = await fetch(`${server.url}/generateJwtToken`);
    assert.equal(res.status, 200);
    return res.text();
};

for (const combo of COMBOS) {
    const [transport, protocol] = combo;

    describe(`${protocol} over ${transport}`, () => {
        describe("authorization (/authorizedhub)", () => {
            it("without a token, start fails with the client's 401 text", async () => {
                const c = builder(`${server.url}/authorizedhub`, combo).build();
                const e = await rejection(c.start());
                assert.equal(e.message, "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'");
            });

            it("with an invalid token, start fails with the client's 401 text", async () => {
                const c = builder(`${server.url}/authorizedhub`, combo, { accessTokenFactory: () => "not.a.token" }).build();
                const e = await rejection(c.start());
                assert.equal(e.message, "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'");
            });

            it("with a token from /generateJwtToken, Echo works", async (t) => {
                let calls = 0;
                const c = await connect(t, `${server.url}/authorizedhub`, combo, {
                    options: {
                        accessTokenFactory: () => {
                            calls++;
                            return getToken();
                        },
                    },
                });
                assert.ok(calls >= 1);
                assert.equal(await c.invoke("Echo", "secret"), "secret");
            });

            it("has no TestHub methods", async (t) => {
                const c = await connect(t, `${server.url}/authorizedhub`, combo, { options: { accessTokenFactory: getToken } });
                const e = await rejection(c.invoke("GetCallerConnectionId"));
                assert.equal(e.message, "Failed to invoke 'GetCallerConnectionId' due to an error on the server. HubException: Method does not exist.");
            });
        });

        describe("negotiate", () => {
            it("follows /redirect to /testHub and counts redirects", async (t) => {
                const url = `${server.url}/redirect?numRedirects=0&baseUrl=${server.url}`;
                const c1 = await connect(t, url, combo);
                const n1 = await c1.invoke("GetNumRedirects");
                assert.ok(Number.isInteger(n1) && n1 >= 1, `GetNumRedirects = ${n1}`);
                assert.equal(await c1.invoke("Echo", "redirected"), "redirected");
                const c2 = await connect(t, url, combo);
                assert.ok((await c2.invoke("GetNumRedirects")) > n1);
            });

            it("routes case-insensitively (/TestHub)", async (t) => {
                const c = await connect(t, `${server.url}/TestHub`, combo);
                assert.equal(await c.invoke("Echo", "case"), "case");
            });

            it("a negotiate error body reaches the caller (/bad-negotiate)", async () => {
                const c = builder(`${server.url}/bad-negotiate`, combo).build();
                const e = await rejection(c.start());
                assert.equal(e.message, "Failed to complete negotiation with the server: Error: Some response from server: Status code '400'");
            });

            it("an unknown hub path fails with the client's 404 text", async () => {
                const c = builder(`${server.url}/nohub`, combo).build();
                const e = await rejection(c.start());
                assert.equal(e.message, "Failed to complete negotiation with the server: Error: Not Found: Status code '404' Either this is not a SignalR endpoint or there is a proxy blocking the connection.");
            });

            if (transport === "WebSockets") {
                it("skipNegotiation connects straight to the WebSocket", async (t) => {
                    const c = await connect(t, `${server.url}/testhub`, combo, { options: { skipNegotiation: true } });
                    assert.equal(c.connectionId, null);
                    assert.equal(await c.invoke("Echo", "no negotiate"), "no negotiate");
                    const id = await c.invoke("GetCallerConnectionId");
                    assert.equal(typeof id, "string");
                    assert.ok(id.length > 0);
                    assert.equal(await c.invoke("GetActiveTransportName"), "WebSockets");
                });

                it("skipNegotiation with a token reaches /authorizedhub", async (t) => {
                    const c = await connect(t, `${server.url}/authorizedhub`, combo, { options: { skipNegotiation: true, accessTokenFactory: getToken } });
                    assert.equal(await c.invoke("Echo", "ws auth"), "ws auth");
                });

                it("withStatefulReconnect() connects whether or not the server offers it", async (t) => {
                    const c = await connect(t, `${server.url}/testhub`, combo, { configure: (b) => b.withStatefulReconnect() });
                    assert.equal(await c.invoke("Echo", "stateful"), "stateful");
                });

                it("stateful reconnect: a dropped WebSocket resumes the same connection", async (t) => {
                    const closed = deferred();
                    const c = await connect(t, `${server.url}/testhub`, combo, {
                        configure: (b) => b.withStatefulReconnect(),
                        before: (c) => c.onclose((e) => closed.resolve(e)),
                    });
                    assert.equal(c.connection.features.reconnect, true, "negotiate offered stateful reconnect");
                    const id = c.connectionId;
                    c.connection.transport._webSocket.terminate();
                    const received = [];
                    c.on("Message", (m) => received.push(m));
                    await c.invoke("InvokeWithString", "during the drop");
                    assert.equal(await c.invoke("GetCallerConnectionId"), id);
                    assert.deepEqual(received, ["during the drop"]);
                    assert.equal(c.state, "Connected");
                });

                it("skipNegotiation without a token is refused", async () => {
                    const c = builder(`${server.url}/authorizedhub`, combo, { skipNegotiation: true }).build();
                    await rejection(c.start());
                });
            }
        });

        it("a hub whose OnConnected fails closes with the error (/uncreatable)", async () => {
            const closed = deferred();
            const c = builder(`${server.url}/uncreatable`, combo).build();
            c.onclose((e) => closed.resolve(e));
            const expected = "Server returned an error on close: Connection closed with an error. InvalidOperationException: Unable to resolve service for type 'System.Object' while attempting to activate 'FunctionalTests.UncreatableHub'.";
            try {
                await c.start();
            } catch (e) {
                // Also allowed: start itself fails with the close error.
                assert.equal(e.message, expected);
                return;
            }
            const err = await within(closed.promise, wait, "onclose");
            assert.equal(err?.message, expected);
        });

        describe("automatic reconnect", () => {
            // A connection whose reconnect callbacks are recorded.
            const reconnecting = async (t, url = `${server.url}/testhub`) => {
                const events = { reconnecting: deferred(), reconnected: deferred(), closed: deferred() };
                const c = await connect(t, url, combo, {
                    configure: (b) => b.withAutomaticReconnect([0, 100, 500]),
                    before: (c) => {
                        c.onreconnecting((e) => events.reconnecting.resolve(e));
                        c.onreconnected((id) => events.reconnected.resolve(id));
                        c.onclose((e) => events.closed.resolve(e));
                    },
                });
                return { c, events };
            };

            // Long polling has inherent keep-alive: the client runs no server
            // timeout there, so the server is made to close the connection
            // instead, with a malformed message POSTed on the connection's own
            // id (it answers with Close{error, allowReconnect: true}).
            const inherentKeepAlive = transport === "LongPolling";
            const dropConnection = async (c) => {
                if (inherentKeepAlive) {
                    const malformed = protocol === "json" ? "{\u001e" : new Uint8Array([0x01, 0xc1]);
                    const res = await fetch(c.connection.transport._url, { method: "POST", body: malformed });
                    assert.equal(res.status, 200);
                    return;
                }
                // Force the client's server timeout; restore it for the new connection.
                c.onreconnecting(() => {
                    c.serverTimeoutInMilliseconds = 30_000;
                });
                c.serverTimeoutInMilliseconds = 50;
                await c.invoke("Echo", "rearm the timer");
            };

            const lost = inherentKeepAlive ? "after the server closes with allowReconnect" : "after a server timeout";
            it(`${lost}, reconnects with a new connection id`, async (t) => {
                const { c, events } = await reconnecting(t);
                const first = c.connectionId;
                assert.equal(await c.invoke("GetCallerConnectionId"), first);
                await dropConnection(c);
                const err = await within(events.reconnecting.promise, wait, "onreconnecting");
                if (inherentKeepAlive) {
                    assert.match(err?.message, /^Server returned an error on close: Connection closed with an error\. InvalidDataException: /);
                } else {
                    assert.equal(err?.message, "Server timeout elapsed without receiving a message from the server.");
                }
                const id = await within(events.reconnected.promise, wait, "onreconnected");
                assert.equal(typeof id, "string");
                assert.notEqual(id, first);
                assert.equal(c.connectionId, id);
                assert.equal(await c.invoke("GetCallerConnectionId"), id);
                assert.equal(await c.invoke("Echo", "back"), "back");
            });

            if (transport === "WebSockets") {
                it("after the WebSocket drops without a close frame, reconnects", async (t) => {
                    const { c, events } = await reconnecting(t);
                    const first = c.connectionId;
                    // The client's transport keeps the ws socket in a private field.
                    const ws = c.connection.transport._webSocket;
                    assert.ok(ws && typeof ws.terminate === "function", "the WebSocket of the transport");
                    ws.terminate();
                    await within(events.reconnecting.promise, wait, "onreconnecting");
                    const id = await within(events.reconnected.promise, wait, "onreconnected");
                    assert.notEqual(id, first);
                    assert.equal(await c.invoke("GetCallerConnectionId"), id);
                });
            }

            it("reconnects through /redirect again", async (t) => {
                const url = `${server.url}/redirect?numRedirects=0&baseUrl=${server.url}`;
                const { c, events } = await reconnecting(t, url);
                const n1 = await c.invoke("GetNumRedirects");
                await dropConnection(c);
                await within(events.reconnected.promise, wait, "onreconnected");
                assert.ok((await c.invoke("GetNumRedirects")) > n1);
            });
        });
    });
}

describe("/testhub-nowebsockets (transport fallback)", () => {
    // Without a transport option the client tries the listed transports in
    // order, skipping those without the protocol's transfer format.
    for (const [protocol, expected] of [["json", "ServerSentEvents"], ["messagepack", "LongPolling"]]) {
        it(`${protocol} without a transport option runs over ${expected}`, async (t) => {
            const c = await connect(t, `${server.url}/testhub-nowebsockets`, [undefined, protocol]);
            assert.equal(await c.invoke("GetActiveTransportName"), expected);
            assert.equal(await c.invoke("Echo", "fallback"), "fallback");
        });
    }

    it("a WebSockets-only client cannot connect", async () => {
        const c = builder(`${server.url}/testhub-nowebsockets`, ["WebSockets", "json"]).build();
        await rejection(c.start());
    });
});

describe("graceful shutdown", () => {
    for (const combo of COMBOS) {
        const [transport, protocol] = combo;
        it(`${protocol} over ${transport}: SIGTERM sends a Close that allows reconnect`, async () => {
            const own = await startTestServer();
            let c;
            try {
                const reconnecting = deferred();
                const closed = deferred();
                c = builder(`${own.url}/testhub`, combo).withAutomaticReconnect([0]).build();
                c.onreconnecting((e) => reconnecting.resolve(e));
                c.onclose((e) => closed.resolve(e));
                await c.start();
                const status = own.stop();
                // Close{allowReconnect: true} without an error: reconnecting, with no error.
                assert.equal(await within(reconnecting.promise, wait, "onreconnecting"), undefined);
                assert.deepEqual(await within(status, 20_000, "the server's exit"), { code: 0, signal: null });
                // The server is gone, so the single retry fails and the client closes.
                await within(closed.promise, wait, "onclose");
            } finally {
                await own.stop("SIGKILL");
                await c?.stop();
            }
        });
    }
});
