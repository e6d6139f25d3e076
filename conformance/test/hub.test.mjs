// The TestHub cases of the upstream functional tests, and the hub protocol
// behaviour around them, run with the official client for every
// [transport, protocol] combination in COMBOS.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Subject } from "@microsoft/signalr";

import { COMBOS, collect, connect, deferred, rejection, within } from "./client.mjs";
import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

const hubUrl = () => server.url + "/testhub";
const wait = 10_000; // ms for anything the server should do at once

const complexKeys = ["ByteArray", "DateTime", "Guid", "IntArray", "String"];

for (const combo of COMBOS) {
    const [transport, protocol] = combo;
    const json = protocol === "json";

    describe(`${protocol} over ${transport}`, () => {
        it("negotiates a connection id and reports it as the caller's id", async (t) => {
            const c = await connect(t, hubUrl(), combo);
            assert.equal(typeof c.connectionId, "string");
            assert.match(c.connectionId, /^[A-Za-z0-9_-]{22}$/);
            assert.equal(await c.invoke("GetCallerConnectionId"), c.connectionId);
        });

        it("Echo returns its argument", async (t) => {
            const c = await connect(t, hubUrl(), combo);
            const message = "你好，世界！ Grüße 🛒 \"quoted\" \\ \n\u001e";
            assert.equal(await c.invoke("Echo", message), message);
        });

        it("Echo(\"\") returns \"\"", async (t) => {
            const c = await connect(t, hubUrl(), combo);
            assert.equal(await c.invoke("Echo", ""), "");
        });

        it("method names match case-insensitively", async (t) => {
            const c = await connect(t, hubUrl(), combo);
            assert.equal(await c.invoke("eCHO", "x"), "x");
        });

        it("concurrent invocations each get their own result", async (t) => {
            const c = await connect(t, hubUrl(), combo);
            const inputs = Array.from({ length: 20 }, (_, i) => `m${i}`);
            assert.deepEqual(await Promise.all(inputs.map((m) => c.invoke("Echo", m))), inputs);
        });

        it("many connections at once each get their own answers", async (t) => {
            const conns = await Promise.all(Array.from({ length: 20 }, () => connect(t, hubUrl(), combo)));
            await Promise.all(conns.map(async (c, i) => {
                const id = await c.invoke("GetCallerConnectionId");
                assert.equal(id, c.connectionId);
                for (let j = 0; j < 10; j++) {
                    assert.equal(await c.invoke("Echo", `${i}:${j}`), `${i}:${j}`);
                }
            }));
            assert.equal(new Set(conns.map((c) => c.connectionId)).size, conns.length);
        });

        it("send (non-blocking) resolves and the connection stays usable", async (t) => {
            const c = await connect(t, hubUrl(), combo);
            await c.send("Echo", "fire and forget");
            await c.send("NoSuchMethod");
            assert.equal(await c.invoke("Echo", "after"), "after");
        });

        it("can start again after stop, keeping handlers", async (t) => {
            const received = [];
            const c = await connect(t, hubUrl(), combo, { before: (c) => c.on("Message", (m) => received.push(m)) });
            const first = c.connectionId;
            await c.invoke("InvokeWithString", "one");
            await c.stop();
            await c.start();
            assert.notEqual(c.connectionId, first);
            await c.invoke("InvokeWithString", "two");
            assert.deepEqual(received, ["one", "two"]);
        });

        describe("error texts", () => {
            it("unknown method", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const e = await rejection(c.invoke("NoSuchMethod", 1));
                assert.equal(e.message, "Failed to invoke 'NoSuchMethod' due to an error on the server. HubException: Method does not exist.");
            });

            it("ThrowException", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const e = await rejection(c.invoke("ThrowException", "An error occurred."));
                assert.equal(e.message, "An unexpected error occurred invoking 'ThrowException' on the server. InvalidOperationException: An error occurred.");
            });

            it("StreamThrowException fails before any item", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const s = collect(c.stream("StreamThrowException", "An error occurred."));
                const e = await rejection(within(s.promise, wait, "the stream's end"));
                assert.equal(e.message, "An unexpected error occurred invoking 'StreamThrowException' on the server. InvalidOperationException: An error occurred.");
                assert.deepEqual(e.items, []);
            });

            it("too many arguments", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const e = await rejection(c.invoke("Echo", "a", "b"));
                assert.equal(e.message, "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Invocation provides 2 argument(s) but target expects 1.");
            });

            it("too few arguments", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const e = await rejection(c.invoke("Echo"));
                assert.equal(e.message, "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Invocation provides 0 argument(s) but target expects 1.");
            });

            it("argument of the wrong type", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const e = await rejection(c.invoke("Echo", { not: "a string" }));
                // ASP.NET Core's detailed text, to which listhub adds the argument and Go type.
                assert.ok(e.message.startsWith("Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."), e.message);
                assert.match(e.message, / Argument 0 does not bind to Go type string: /);
            });

            it("invoke of a streaming method (EmptyStream)", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const e = await rejection(c.invoke("EmptyStream"));
                assert.equal(e.message, "The client attempted to invoke the streaming 'EmptyStream' method with a non-streaming invocation.");
            });

            it("invoke of a streaming method (Stream)", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const e = await rejection(c.invoke("Stream"));
                assert.equal(e.message, "The client attempted to invoke the streaming 'Stream' method with a non-streaming invocation.");
            });

            it("stream of a non-streaming method (Echo)", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const s = collect(c.stream("Echo", "42"));
                const e = await rejection(within(s.promise, wait, "the stream's end"));
                assert.equal(e.message, "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.");
                assert.deepEqual(e.items, []);
            });

            it("StreamingConcat whose upload stream errors", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const subject = new Subject();
                const p = c.invoke("StreamingConcat", subject);
                subject.next("a");
                subject.error(new Error("Something bad"));
                const e = await rejection(within(p, wait, "StreamingConcat's completion"));
                assert.equal(e.message, "An unexpected error occurred invoking 'StreamingConcat' on the server. HubException: Something bad");
            });

            it("an upload stream to a method that takes none", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const subject = new Subject();
                const p = c.invoke("Echo", "x", subject);
                subject.complete();
                const e = await rejection(within(p, wait, "the completion"));
                assert.equal(e.message, "An unexpected error occurred invoking 'Echo' on the server. HubException: Client sent 1 stream(s), Hub method expects 0.");
                // The client sends the stream's Completion after the failed
                // call; a call behind it lets that send finish before the
                // test stops the connection (else its POST can meet a
                // disposed connection, 404, as on ASP.NET Core).
                assert.equal(await c.invoke("Echo", "after"), "after");
            });

            it("StreamingConcat without its upload stream", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const e = await rejection(c.invoke("StreamingConcat"));
                assert.equal(e.message, "An unexpected error occurred invoking 'StreamingConcat' on the server. HubException: Client sent 0 stream(s), Hub method expects 1.");
            });

            it("an error leaves the connection usable", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                await rejection(c.invoke("ThrowException", "x"));
                await rejection(c.invoke("NoSuchMethod"));
                assert.equal(await c.invoke("Echo", "still here"), "still here");
            });
        });

        describe("streaming", () => {
            it("Stream yields a, b, c and completes", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const s = collect(c.stream("Stream"));
                assert.deepEqual(await within(s.promise, wait, "the stream's completion"), ["a", "b", "c"]);
            });

            it("EmptyStream completes without items", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const s = collect(c.stream("EmptyStream"));
                assert.deepEqual(await within(s.promise, wait, "the stream's completion"), []);
            });

            it("disposing InfiniteStream cancels it on the server (StreamCanceled)", async (t) => {
                const canceled = deferred();
                const c = await connect(t, hubUrl(), combo, { before: (c) => c.on("StreamCanceled", (...args) => canceled.resolve(args)) });
                const s = collect(c.stream("InfiniteStream"));
                s.subscription.dispose();
                assert.deepEqual(await within(canceled.promise, wait, "StreamCanceled"), []);
                assert.equal(await c.invoke("Echo", "after cancel"), "after cancel");
            });

            it("StreamingConcat concatenates an upload stream", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const subject = new Subject();
                const p = c.invoke("StreamingConcat", subject);
                subject.next("a");
                subject.next("b");
                subject.next("c");
                subject.complete();
                assert.equal(await within(p, wait, "StreamingConcat's result"), "abc");
            });

            it("StreamingConcat takes more items than the server buffers", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const subject = new Subject();
                const p = c.invoke("StreamingConcat", subject);
                let want = "";
                for (let i = 0; i < 200; i++) {
                    subject.next(`${i},`);
                    want += `${i},`;
                }
                subject.complete();
                assert.equal(await within(p, wait, "StreamingConcat's result"), want);
            });

            it("StreamingConcat returns a result larger than a frame (100 KB)", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const subject = new Subject();
                const p = c.invoke("StreamingConcat", subject);
                const chunk = "0123456789".repeat(200);
                for (let i = 0; i < 50; i++) {
                    subject.next(chunk);
                }
                subject.complete();
                assert.equal(await within(p, wait, "StreamingConcat's result"), chunk.repeat(50));
            });

            it("StreamingConcat with an empty upload stream returns \"\"", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const subject = new Subject();
                const p = c.invoke("StreamingConcat", subject);
                subject.complete();
                assert.equal(await within(p, wait, "StreamingConcat's result"), "");
            });
        });

        describe("server to client", () => {
            it("InvokeWithString calls Message before its completion", async (t) => {
                const events = [];
                const c = await connect(t, hubUrl(), combo, { before: (c) => c.on("mEssaGe", (m) => events.push(`Message(${m})`)) });
                await c.invoke("InvokeWithString", "你好 SignalR！");
                events.push("completed");
                assert.deepEqual(events, ["Message(你好 SignalR！)", "completed"]);
            });

            it("server calls arrive in the order of the invocations that made them", async (t) => {
                const received = [];
                const c = await connect(t, hubUrl(), combo, { before: (c) => c.on("Message", (m) => received.push(m)) });
                const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
                await Promise.all(sent.map((m) => c.invoke("InvokeWithString", m)));
                assert.deepEqual(received, sent);
            });

            it("SendCustomObject sends CustomObject back", async (t) => {
                const got = deferred();
                const c = await connect(t, hubUrl(), combo, { before: (c) => c.on("CustomObject", (...args) => got.resolve(args)) });
                await c.send("SendCustomObject", { Name: "test", Value: 42 });
                assert.deepEqual(await within(got.promise, wait, "CustomObject"), [{ Name: "test", Value: 42 }]);
            });

            const clientResult = async (id) => {
                const res = await fetch(`${server.url}/clientresult/${id}`);
                assert.equal(res.status, 200);
                return res.text();
            };

            it("client result: a handler's value", async (t) => {
                const c = await connect(t, hubUrl(), combo, { before: (c) => c.on("Result", () => 10) });
                assert.equal(await clientResult(c.connectionId), "10");
            });

            it("client result: a throwing handler", async (t) => {
                const c = await connect(t, hubUrl(), combo, {
                    before: (c) => c.on("Result", () => {
                        throw new Error("from callback");
                    }),
                });
                assert.equal(await clientResult(c.connectionId), "Error: from callback");
            });

            it("client result: no handler", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                assert.equal(await clientResult(c.connectionId), "Client didn't provide a result.");
            });

            it("client result: a handler returning undefined", async (t) => {
                const c = await connect(t, hubUrl(), combo, { before: (c) => c.on("Result", () => undefined) });
                assert.equal(await clientResult(c.connectionId), "Client didn't provide a result.");
            });

            it("client result: several handlers with values", async (t) => {
                const c = await connect(t, hubUrl(), combo, {
                    before: (c) => {
                        c.on("Result", () => 1);
                        c.on("Result", () => 2);
                    },
                });
                assert.equal(await clientResult(c.connectionId), "Client provided multiple results.");
            });

            it("client result: concurrent requests each get their answer", async (t) => {
                let n = 0;
                const c = await connect(t, hubUrl(), combo, { before: (c) => c.on("Result", () => ++n) });
                const got = await Promise.all(Array.from({ length: 5 }, () => clientResult(c.connectionId)));
                assert.deepEqual(got.map(Number).sort((a, b) => a - b), [1, 2, 3, 4, 5]);
            });

            it("client result: the client leaving fails the call", async (t) => {
                const invoked = deferred();
                const c = await connect(t, hubUrl(), combo, {
                    before: (c) => c.on("Result", () => {
                        invoked.resolve();
                        return new Promise(() => {}); // never answers
                    }),
                });
                const id = c.connectionId;
                const pending = clientResult(id);
                await within(invoked.promise, wait, "the Result call");
                await c.stop();
                assert.equal(await within(pending, wait, "/clientresult's answer"), `Connection '${id}' disconnected.`);
            });

            it("client result: an async handler", async (t) => {
                const c = await connect(t, hubUrl(), combo, {
                    before: (c) => c.on("Result", async () => {
                        await new Promise((r) => setTimeout(r, 50));
                        return 11;
                    }),
                });
                assert.equal(await clientResult(c.connectionId), "11");
            });
        });

        describe("payloads", () => {
            const sent = {
                String: "hello world",
                IntArray: [1, 2, 3],
                ByteArray: json ? "AQID" : new Uint8Array([1, 2, 3]),
                Guid: "00010203-0405-0607-0706-050403020100",
                DateTime: json ? "2002-04-01T10:20:15Z" : new Date(Date.UTC(2002, 3, 1, 10, 20, 15)),
            };
            // MessagePack bin arrives as a Uint8Array view; compare plain copies.
            const normalize = (o) => (json || !o?.ByteArray ? o : { ...o, ByteArray: new Uint8Array(o.ByteArray) });

            it("EchoComplexObject round-trips all five fields", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const got = await c.invoke("EchoComplexObject", sent);
                assert.deepEqual(Object.keys(got).sort(), complexKeys);
                assert.deepEqual(normalize(got), sent);
            });

            it("EchoComplexObject keeps milliseconds", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const withMillis = { ...sent, DateTime: json ? "2024-01-02T03:04:05.678Z" : new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)) };
                assert.deepEqual(normalize(await c.invoke("EchoComplexObject", withMillis)), withMillis);
            });

            it("EchoComplexObject keeps dates before 1970", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const old = { ...sent, DateTime: json ? "1969-07-20T20:17:40Z" : new Date(Date.UTC(1969, 6, 20, 20, 17, 40)) };
                assert.deepEqual(normalize(await c.invoke("EchoComplexObject", old)), old);
            });

            it("EchoComplexObject keeps empty arrays and strings", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const empty = { ...sent, String: "", IntArray: [], ByteArray: json ? "" : new Uint8Array(0) };
                assert.deepEqual(normalize(await c.invoke("EchoComplexObject", empty)), empty);
            });

            it("SendComplexObject returns the fixed object", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const got = await c.invoke("SendComplexObject");
                assert.deepEqual(Object.keys(got).sort(), complexKeys);
                assert.deepEqual(normalize(got), {
                    String: "hello world",
                    IntArray: [1, 2, 3],
                    ByteArray: json ? "AQID" : new Uint8Array([1, 2, 3]),
                    Guid: "00010203-0405-0607-0706-050403020100",
                    DateTime: json ? "2000-01-01T00:00:00Z" : new Date(Date.UTC(2000, 0, 1)),
                });
            });

            it("a void method resolves with null", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                assert.equal(await c.invoke("InvokeWithString", "x"), null);
            });
        });

        describe("the request that opened the transport", () => {
            it("GetHeader reads custom headers, User-Agent, and null when absent", async (t) => {
                const c = await connect(t, hubUrl(), combo, { options: { headers: { "X-HEADER": "VALUE" } } });
                assert.equal(await c.invoke("GetHeader", "X-HEADER"), "VALUE");
                assert.equal(await c.invoke("GetHeader", "x-header"), "VALUE");
                assert.match(await c.invoke("GetHeader", "User-Agent"), /^Microsoft SignalR\/10\.0 \(10\.0\.11; [^;]+; NodeJS; [^)]+\)$/);
                assert.strictEqual(await c.invoke("GetHeader", "X-Not-There"), null);
            });

            it("a custom User-Agent overrides the library's", async (t) => {
                const c = await connect(t, hubUrl(), combo, { options: { headers: { "User-Agent": "Custom Agent" } } });
                assert.equal(await c.invoke("GetHeader", "User-Agent"), "Custom Agent");
            });

            it("GetCookie sees the cookies negotiate set, not the expired one", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                assert.equal(await c.invoke("GetCookie", "testCookie"), "testValue");
                assert.equal(await c.invoke("GetCookie", "testCookie2"), "testValue2");
                assert.strictEqual(await c.invoke("GetCookie", "expiredCookie"), null);
            });

            it("GetActiveTransportName reports the transport in use", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                assert.equal(await c.invoke("GetActiveTransportName"), transport);
            });

            it("the connect URL's query reaches the hub; unrelated parameters are ignored", async (t) => {
                const c = await connect(t, hubUrl() + "?foo=bar&numRedirects=7", combo);
                assert.equal(await c.invoke("Echo", "q"), "q");
                assert.equal(await c.invoke("GetNumRedirects"), 7);
            });
        });

        describe("limits", () => {
            it("a message just under 32 KiB is accepted", async (t) => {
                const c = await connect(t, hubUrl(), combo);
                const big = "y".repeat(30_000);
                assert.equal(await c.invoke("Echo", big), big);
            });

            it("a message over 32 KiB closes the connection with an error", async (t) => {
                const closed = deferred();
                const c = await connect(t, hubUrl(), combo, { before: (c) => c.onclose((e) => closed.resolve(e)) });
                const pending = c.invoke("Echo", "x".repeat(40_000)).catch((e) => e);
                const err = await within(closed.promise, wait, "onclose");
                assert.equal(err?.message, "Server returned an error on close: Connection closed with an error. InvalidDataException: The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions.");
                assert.ok((await pending) instanceof Error);
            });
        });
    });
}
