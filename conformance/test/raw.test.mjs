// Below the hub client: the raw /echo connection (a plain WebSocket from the
// `ws` package the official client depends on, and the client's own
// HttpConnection for every transport), and hub endpoints driven by hand over a
// WebSocket (handshake errors, connection ids, status codes).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HttpTransportType, TransferFormat } from "@microsoft/signalr";
// HttpConnection is not exported from the package index; the package has no
// "exports" map and its version is pinned, so the compiled module is stable.
import { HttpConnection } from "@microsoft/signalr/dist/cjs/HttpConnection.js";
import WebSocket from "ws";

import { TRANSPORTS, deferred, logLevel, within } from "./client.mjs";
import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

const wait = 10_000;
const RS = "\u001e";
const wsUrl = (path) => server.url.replace(/^http/, "ws") + path;

/** Opens a plain WebSocket and records what happens to it. */
function openSocket(t, url, options) {
    const ws = new WebSocket(url, options);
    t.after(() => ws.terminate());
    const opened = deferred();
    opened.promise.catch(() => {}); // awaited only by tests that expect an open socket
    const closed = deferred();
    const failed = deferred();
    const messages = [];
    let waiter;
    ws.on("open", () => opened.resolve());
    // ws 7 (the client's dependency) hands text frames over as strings and
    // binary frames as Buffers.
    ws.on("message", (data) => {
        const isBinary = typeof data !== "string";
        messages.push({ text: isBinary ? Buffer.from(data).toString("utf8") : data, isBinary });
        waiter?.();
    });
    ws.on("close", (code, reason) => closed.resolve({ code, reason: reason.toString() }));
    ws.on("unexpected-response", (req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (s) => (body += s));
        res.on("end", () => failed.resolve({ status: res.statusCode, body }));
    });
    ws.on("error", (e) => {
        opened.reject(e);
        failed.resolve({ error: e });
    });
    /** Resolves once at least n messages have arrived. */
    const nextMessages = (n) =>
        within(
            new Promise((resolve) => {
                const check = () => {
                    if (messages.length >= n) {
                        waiter = undefined;
                        resolve(messages.slice(0, n));
                    }
                };
                waiter = check;
                check();
            }),
            wait,
            `${n} message(s)`,
        );
    return { ws, opened: opened.promise, closed: closed.promise, failed: failed.promise, messages, nextMessages };
}

async function negotiate(path, version = 1) {
    const res = await fetch(`${server.url}${path}/negotiate?negotiateVersion=${version}`, { method: "POST" });
    assert.equal(res.status, 200);
    return res.json();
}

describe("raw /echo over a plain WebSocket (no negotiate, no id)", () => {
    it("echoes a text message and closes cleanly with 1000", async (t) => {
        const s = openSocket(t, wsUrl("/echo"));
        await within(s.opened, wait, "open");
        s.ws.send("Hello, 世界!");
        assert.deepEqual(await s.nextMessages(1), [{ text: "Hello, 世界!", isBinary: false }]);
        s.ws.close(); // an empty close frame: the server must answer 1000, not 1005
        assert.deepEqual(await within(s.closed, wait, "close"), { code: 1000, reason: "" });
    });

    it("echoes each message as its own message", async (t) => {
        const s = openSocket(t, wsUrl("/echo"));
        await within(s.opened, wait, "open");
        for (const m of ["one", "two", "three"]) {
            s.ws.send(m);
        }
        assert.deepEqual((await s.nextMessages(3)).map((m) => m.text), ["one", "two", "three"]);
    });

    it("answers a client's 1000 close with 1000", async (t) => {
        const s = openSocket(t, wsUrl("/echo"));
        await within(s.opened, wait, "open");
        s.ws.close(1000, "bye");
        assert.equal((await within(s.closed, wait, "close")).code, 1000);
    });
});

describe("raw /echo with the client's HttpConnection", () => {
    for (const transport of TRANSPORTS) {
        // A 307 cannot redirect a WebSocket upgrade (the client's `ws` does not
        // follow it), so /echoredirect is for the HTTP transports only.
        const paths = transport === "WebSockets" ? ["/echo"] : ["/echo", "/echoredirect"];
        for (const path of paths) {
            it(`${path} over ${transport}: sends and receives, stops without error`, async (t) => {
                const c = new HttpConnection(server.url + path, { transport: HttpTransportType[transport], logger: logLevel });
                const received = deferred();
                const closed = deferred();
                c.onreceive = (data) => received.resolve(data);
                c.onclose = (e) => closed.resolve(e);
                t.after(() => c.stop());
                await c.start(TransferFormat.Text);
                assert.equal(typeof c.connectionId, "string");
                await c.send("こんにちは echo");
                assert.equal(await within(received.promise, wait, "the echo"), "こんにちは echo");
                await c.stop();
                assert.equal(await within(closed.promise, wait, "onclose"), undefined);
            });
        }
    }
});

describe("hub endpoints by hand over WebSockets", () => {
    it("handshake and an invocation in one frame get both answers", async (t) => {
        const s = openSocket(t, wsUrl("/testhub"));
        await within(s.opened, wait, "open");
        s.ws.send(`{"protocol":"json","version":1}${RS}{"arguments":["hi"],"invocationId":"0","target":"Echo","type":1}${RS}`);
        const all = async () => {
            for (let n = 1; ; n++) {
                const text = (await s.nextMessages(n)).map((m) => m.text).join("");
                if (text.split(RS).length >= 3) {
                    return text;
                }
            }
        };
        const text = await within(all(), wait, "the handshake response and the completion");
        const [handshake, completion] = text.split(RS);
        assert.equal(handshake, "{}");
        assert.deepEqual(JSON.parse(completion), { type: 3, invocationId: "0", result: "hi" });
        assert.equal(s.messages[0].isBinary, false);
    });

    /** A raw JSON hub connection on /testhub after a successful handshake. */
    const jsonHub = async (t) => {
        const s = openSocket(t, wsUrl("/testhub"));
        await within(s.opened, wait, "open");
        let text = "";
        let seen = 0;
        let consumed = 0; // WebSocket messages appended to text
        // Resolves with the next parsed messages, skipping Pings, until n have come.
        const next = async (n) => {
            const out = [];
            for (;;) {
                const parts = text.split(RS);
                text = parts.pop();
                for (const p of parts) {
                    const m = p === "{}" && out.length === 0 && seen === 0 ? { handshake: true } : JSON.parse(p);
                    seen++;
                    if (m.type !== 6) {
                        out.push(m);
                    }
                }
                if (out.length >= n) {
                    return out;
                }
                await s.nextMessages(consumed + 1);
                for (; consumed < s.messages.length; consumed++) {
                    text += s.messages[consumed].text;
                }
            }
        };
        s.ws.send(`{"protocol":"json",`);
        s.ws.send(`"version":1}${RS}`);
        assert.deepEqual(await next(1), [{ handshake: true }]);
        return { s, next, send: (x) => s.ws.send(x) };
    };

    it("a handshake and a message may each span several frames", async (t) => {
        const h = await jsonHub(t);
        h.send(`{"type":1,"invocationId":"1","tar`);
        h.send(`get":"Echo","arguments":["split"]}${RS}`);
        assert.deepEqual(await within(h.next(1), wait, "the completion"), [{ type: 3, invocationId: "1", result: "split" }]);
    });

    it("several messages in one frame are all answered, in order", async (t) => {
        const h = await jsonHub(t);
        h.send(["a", "b", "c"].map((m, i) => `{"type":1,"invocationId":"${i}","target":"Echo","arguments":["${m}"]}${RS}`).join(""));
        assert.deepEqual(await within(h.next(3), wait, "three completions"), [
            { type: 3, invocationId: "0", result: "a" },
            { type: 3, invocationId: "1", result: "b" },
            { type: 3, invocationId: "2", result: "c" },
        ]);
    });

    it("unknown message types, unknown properties, stray Completions and Pings are ignored", async (t) => {
        const h = await jsonHub(t);
        h.send(`{"type":99,"whatever":[1,2]}${RS}{"type":6}${RS}{"type":3,"invocationId":"nobody","result":1}${RS}` +
            `{"type":1,"invocationId":"7","target":"Echo","arguments":["ok"],"extra":{"x":1},"headers":{"k":"v"}}${RS}`);
        assert.deepEqual(await within(h.next(1), wait, "the completion"), [{ type: 3, invocationId: "7", result: "ok" }]);
    });

    it("an empty invocationId is non-blocking: no answer, even for an error", async (t) => {
        const h = await jsonHub(t);
        h.send(`{"type":1,"invocationId":"","target":"ThrowException","arguments":["x"]}${RS}` +
            `{"type":1,"target":"NoSuchMethod","arguments":[]}${RS}` +
            `{"type":1,"invocationId":"8","target":"Echo","arguments":["after"]}${RS}`);
        assert.deepEqual(await within(h.next(1), wait, "the completion"), [{ type: 3, invocationId: "8", result: "after" }]);
    });

    it("malformed JSON closes with an error and allowReconnect", async (t) => {
        const h = await jsonHub(t);
        h.send(`{"type":1,"target":${RS}`);
        const [close] = await within(h.next(1), wait, "the Close message");
        assert.equal(close.type, 7);
        assert.match(close.error, /^Connection closed with an error\. InvalidDataException: /);
        assert.equal(close.allowReconnect, true);
        assert.equal((await within(h.s.closed, wait, "the socket's close")).code, 1000);
    });

    it("a client Close is answered with a Close and the socket closes", async (t) => {
        const h = await jsonHub(t);
        h.send(`{"type":7}${RS}`);
        const [close] = await within(h.next(1), wait, "the Close message");
        assert.deepEqual(close, { type: 7 });
        assert.equal((await within(h.s.closed, wait, "the socket's close")).code, 1000);
    });

    const handshakeErrors = [
        [`{"protocol":"foo","version":1}`, "The protocol 'foo' is not supported."],
        [`{"protocol":"json","version":3}`, "The server does not support version 3 of the 'json' protocol."],
        [`{"protocol":"messagepack","version":3}`, "The server does not support version 3 of the 'messagepack' protocol."],
    ];
    for (const [request, error] of handshakeErrors) {
        it(`handshake ${request} is refused with "${error}"`, async (t) => {
            const s = openSocket(t, wsUrl("/testhub"));
            await within(s.opened, wait, "open");
            s.ws.send(request + RS);
            const [m] = await s.nextMessages(1);
            assert.equal(m.isBinary, false);
            assert.equal(m.text, JSON.stringify({ error }) + RS);
            await within(s.closed, wait, "the server's close");
        });
    }

    it("the MessagePack handshake response comes in a binary frame", async (t) => {
        const s = openSocket(t, wsUrl("/testhub"));
        await within(s.opened, wait, "open");
        s.ws.send(`{"protocol":"messagepack","version":1}${RS}`);
        const [m] = await s.nextMessages(1);
        assert.deepEqual(m, { text: "{}" + RS, isBinary: true });
    });

    it("a negotiated connection token connects once; a second socket gets 409", async (t) => {
        const n = await negotiate("/testhub");
        const first = openSocket(t, wsUrl(`/testhub?id=${n.connectionToken}`));
        await within(first.opened, wait, "open");
        first.ws.send(`{"protocol":"json","version":1}${RS}`);
        await first.nextMessages(1);
        const second = openSocket(t, wsUrl(`/testhub?id=${n.connectionToken}`));
        assert.equal((await within(second.failed, wait, "the refusal")).status, 409);
    });

    it("an unknown id gets 404 \"No Connection with that ID\"", async (t) => {
        const s = openSocket(t, wsUrl("/testhub?id=doesnotexist"));
        assert.deepEqual(await within(s.failed, wait, "the refusal"), { status: 404, body: "No Connection with that ID" });
    });

    it("the public connection id is not accepted as the token", async (t) => {
        const n = await negotiate("/testhub");
        const s = openSocket(t, wsUrl(`/testhub?id=${n.connectionId}`));
        assert.equal((await within(s.failed, wait, "the refusal")).status, 404);
    });

    it("POST to a WebSocket connection gets 405", async (t) => {
        const n = await negotiate("/testhub");
        const s = openSocket(t, wsUrl(`/testhub?id=${n.connectionToken}`));
        await within(s.opened, wait, "open");
        const res = await fetch(`${server.url}/testhub?id=${n.connectionToken}`, { method: "POST", body: "x" });
        assert.equal(res.status, 405);
        assert.equal(await res.text(), "POST requests are not allowed for WebSocket connections.");
    });

    it("the access token may come from ?access_token= on the WebSocket", async (t) => {
        const token = await (await fetch(`${server.url}/generateJwtToken`)).text();
        const s = openSocket(t, wsUrl(`/authorizedhub?access_token=${encodeURIComponent(token)}`));
        await within(s.opened, wait, "open");
        s.ws.send(`{"protocol":"json","version":1}${RS}`);
        assert.equal((await s.nextMessages(1))[0].text, "{}" + RS);
    });

    it("a WebSocket to /authorizedhub without a token gets 401", async (t) => {
        const s = openSocket(t, wsUrl("/authorizedhub"));
        assert.deepEqual(await within(s.failed, wait, "the refusal"), { status: 401, body: "" });
    });
});
