// Bounds on what one client can make the server hold, and what they must
// not refuse (issue 9): pipelined calls wait instead of being refused, a
// large result is delivered, and idle or slow HTTP connections are closed.

import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";

import { Subject } from "@microsoft/signalr";

import { connect, within } from "./client.mjs";
import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

const wait = 60_000;

for (const combo of [["WebSockets", "json"], ["WebSockets", "messagepack"], ["LongPolling", "json"]]) {
    const [transport, protocol] = combo;
    describe(`${protocol} over ${transport}`, () => {
        it("answers 5,000 pipelined invokes, none refused", async (t) => {
            const c = await connect(t, `${server.url}/testhub`, combo);
            const n = 5000;
            const calls = [];
            for (let i = 0; i < n; i++) {
                calls.push(c.invoke("Echo", `m${i}`));
            }
            const results = await within(Promise.allSettled(calls), wait, `${n} invokes`);
            const rejected = results.filter((r) => r.status === "rejected");
            assert.equal(rejected.length, 0, `first rejection: ${rejected[0]?.reason?.message}`);
            assert.deepEqual(
                results.map((r) => r.value),
                calls.map((_, i) => `m${i}`),
            );
        });

        it("delivers a 5 MB result", async (t) => {
            const c = await connect(t, `${server.url}/testhub`, combo);
            const subject = new Subject();
            const p = c.invoke("StreamingConcat", subject);
            const item = "x".repeat(1000);
            for (let i = 0; i < 5000; i++) {
                subject.next(item);
            }
            subject.complete();
            const result = await within(p, wait, "StreamingConcat's result");
            assert.equal(result.length, 5_000_000);
            assert.equal(c.state, "Connected");
        });
    });
}

/** Resolves when the server closes socket. */
const closed = (socket) => new Promise((resolve) => socket.once("close", resolve));

describe("HTTP connections", () => {
    // Short timeouts on a server of their own: with them, a client's
    // kept-alive connection may close just as the client reuses it.
    let server;
    before(async () => {
        server = await startTestServer({ args: ["-idle-timeout", "1s", "-read-header-timeout", "1s"] });
    });
    after(() => server?.stop());

    it("an idle keep-alive connection is closed after IdleTimeout", async () => {
        const { port } = new URL(server.url);
        const socket = net.connect(Number(port), "127.0.0.1");
        socket.on("error", () => {});
        let response = "";
        socket.setEncoding("utf8");
        socket.on("data", (s) => (response += s));
        const gone = closed(socket);
        socket.write("POST /testhub/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        await within(gone, 30_000, "the server closing the idle connection");
        assert.match(response, /^HTTP\/1\.1 200 /);
    });

    it("a connection that does not finish its headers is closed after ReadHeaderTimeout", async () => {
        const { port } = new URL(server.url);
        const socket = net.connect(Number(port), "127.0.0.1");
        socket.on("error", () => {});
        const gone = closed(socket);
        socket.write("GET /testhub/negotiate HTTP/1.1\r\nHost: x\r\n");
        await within(gone, 30_000, "the server closing the slow connection");
    });
});

/** POSTs a negotiate from the loopback address from; resolves with the status. */
function negotiateFrom(url, from, agent) {
    const { port } = new URL(url);
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: "127.0.0.1", port, method: "POST", path: "/testhub/negotiate?negotiateVersion=1", localAddress: from, agent },
            (res) => {
                res.resume();
                res.on("end", () => resolve(res.statusCode));
            },
        );
        req.on("error", reject);
        req.end();
    });
}

describe("negotiate flood", () => {
    let server;
    before(async () => {
        server = await startTestServer({ args: ["-max-pending-negotiations", "200"] });
    });
    after(() => server?.stop());

    it("one address cannot fill the pending limit; others still connect", async (t) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
        t.after(() => agent.destroy());
        const statuses = {};
        for (let i = 0; i < 400; i++) {
            const s = await negotiateFrom(server.url, "127.0.0.2", agent);
            statuses[s] = (statuses[s] ?? 0) + 1;
        }
        assert.deepEqual(statuses, { 200: 20, 429: 380 }, "a tenth of the pending limit per address");
        assert.equal(await negotiateFrom(server.url, "127.0.0.3", agent), 200, "another address negotiates");
        const c = await connect(t, `${server.url}/testhub`, ["WebSockets", "json"]); // from 127.0.0.1
        assert.equal(await c.invoke("Echo", "still here"), "still here");
    });
});
