// golden.mjs checks listhub's wire format against the official SignalR
// JavaScript client's own protocol code, in both directions.
//
//   node golden.mjs encode         prints {"cases":[{name, protocol, bytes}]}:
//                                  every case the JS client can write, encoded
//                                  by its JsonHubProtocol / MessagePackHubProtocol
//                                  (bytes are base64).
//   node golden.mjs decode <file>  reads a document of the same shape (written
//                                  by listhub), parses every case as the JS
//                                  client would, compares it to the expected
//                                  objects and ends with
//                                  "golden: N passed, N failed" (exit 1 on any
//                                  failure).
//
// The case list here and the table in protocol/golden_test.go describe the
// same messages by name; each side checks that the other produced exactly the
// cases it expects.

import { readFileSync } from "node:fs";
import { JsonHubProtocol, NullLogger } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
// HandshakeProtocol is not exported from the package index. The package has no
// "exports" map, so its compiled module can be loaded directly; the version is
// pinned exactly, so the path is stable.
import { HandshakeProtocol } from "@microsoft/signalr/dist/cjs/HandshakeProtocol.js";

const protocols = {
    json: new JsonHubProtocol(),
    messagepack: new MessagePackHubProtocol(),
};
const handshake = new HandshakeProtocol();
const logger = NullLogger.instance;

// ---------------------------------------------------------------------------
// Values

const unicode = "Grüße, 世界 🛒 \"quoted\" \\ back\nslash\ttab \u0001 </script>";
const scalars = [unicode, "", 0, -1, 42, 255, 65536, -129, 2 ** 40, -(2 ** 40), 2 ** 53 - 1,
    1.5, -0.25, Math.PI, true, false, null];

const item = {
    name: "Milk 🥛",
    qty: 2,
    done: false,
    price: 1.25,
    tags: ["dairy", "cold"],
    meta: { aisle: 3, note: null },
};

// A Go struct with only json tags (name, qty, note omitempty, Secret "-",
// Plain untagged): both protocols carry the same keys.
const tagged = { name: "Milk", qty: 2, Plain: 7 };

// Dates: a 32-bit timestamp, one with milliseconds (64-bit form) and one before
// 1970 (96-bit form). JSON has no date type; the JS client sends what
// JSON.stringify makes of a Date, an ISO string.
const dateMillis = [Date.UTC(2002, 3, 1, 10, 20, 15), Date.UTC(2024, 0, 2, 3, 4, 5, 678), Date.UTC(1969, 6, 20, 20, 17, 40)];
const bytes = [0, 1, 2, 253, 254, 255];

function objectArguments(p) {
    const dates = p === "json"
        ? dateMillis.map((ms) => new Date(ms).toISOString())
        : dateMillis.map((ms) => new Date(ms));
    // JSON.stringify turns a Uint8Array into {"0":..}; JSON clients send base64.
    const bin = p === "json" ? Buffer.from(bytes).toString("base64") : new Uint8Array(bytes);
    return [item, [1, 2, 3], ["a", "b"], [[1], [2, 3]], [], ...dates, bin];
}

// What the JSON client reads back for a date that listhub wrote: any ISO
// 8601 string for the same instant (.NET and Go omit zero milliseconds).
function expectedObjectArguments(p) {
    const args = objectArguments(p);
    if (p === "json") {
        return args.map((v, i) => (i >= 5 && i < 5 + dateMillis.length ? isoDate(dateMillis[i - 5]) : v));
    }
    return args;
}

// ---------------------------------------------------------------------------
// Cases
//
// A case is a list of messages, optionally preceded by a handshake request or
// response. encode: the JS client can write it (JS -> Go). decode: the JS
// client can read it (Go -> JS). expect(p): what parseMessages must return
// for each message, when that differs from the message itself.

const TYPE = { Invocation: 1, StreamItem: 2, Completion: 3, StreamInvocation: 4, CancelInvocation: 5, Ping: 6, Close: 7, Ack: 8, Sequence: 9 };

const traceHeaders = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "x-grüße": "wert ü" };

// Property order follows HubConnection._createInvocation etc., so that encode
// produces the client's exact bytes.
const caseDefs = [
    { name: "invocation/blocking", messages: () => [{ arguments: ["hi"], invocationId: "0", target: "Echo", type: TYPE.Invocation }] },
    { name: "invocation/non-blocking", messages: () => [{ arguments: ["hi"], target: "Echo", type: TYPE.Invocation }] },
    { name: "invocation/scalars", messages: () => [{ arguments: scalars, invocationId: "1", target: "Scalars", type: TYPE.Invocation }] },
    {
        name: "invocation/objects",
        messages: (p) => [{ arguments: objectArguments(p), invocationId: "2", target: "Objects", type: TYPE.Invocation }],
        expect: (p) => [{ arguments: expectedObjectArguments(p), invocationId: "2", target: "Objects", type: TYPE.Invocation }],
    },
    { name: "invocation/no arguments", messages: () => [{ arguments: [], invocationId: "3", target: "NoArgs", type: TYPE.Invocation }] },
    // Upload streams. The MessagePack client ignores element 5 (streamIds) when
    // it reads an Invocation, so Go -> JS only checks that the rest matches.
    { name: "invocation/stream ids", messages: () => [{ arguments: [5], invocationId: "0", streamIds: ["1", "2"], target: "StreamingConcat", type: TYPE.Invocation }] },
    { name: "invocation/non-blocking stream ids", messages: () => [{ arguments: [], streamIds: ["1"], target: "Upload", type: TYPE.Invocation }] },
    { name: "invocation/headers", messages: () => [{ arguments: ["hi"], headers: traceHeaders, invocationId: "7", target: "Echo", type: TYPE.Invocation }] },
    // The JS clients ignore StreamInvocation and CancelInvocation when they
    // receive them (both protocols): Go -> JS only checks that the frames parse
    // and are skipped.
    { name: "stream invocation", messages: () => [{ arguments: [10, "x"], invocationId: "3", target: "Counter", type: TYPE.StreamInvocation }], ignored: true },
    { name: "stream invocation/stream ids", messages: () => [{ arguments: [], invocationId: "4", streamIds: ["5"], target: "Echoes", type: TYPE.StreamInvocation }], ignored: true },
    { name: "stream invocation/headers", messages: () => [{ arguments: [1], headers: traceHeaders, invocationId: "6", target: "Counter", type: TYPE.StreamInvocation }], ignored: true },
    { name: "invocation/json tags", messages: () => [{ arguments: [tagged], invocationId: "8", target: "AddItem", type: TYPE.Invocation }] },
    { name: "stream item/string", messages: () => [{ invocationId: "1", item: unicode, type: TYPE.StreamItem }] },
    { name: "stream item/null", messages: () => [{ invocationId: "1", item: null, type: TYPE.StreamItem }] },
    { name: "stream item/object", messages: () => [{ invocationId: "1", item, type: TYPE.StreamItem }] },
    { name: "stream item/headers", messages: () => [{ headers: traceHeaders, invocationId: "1", item: 7, type: TYPE.StreamItem }] },
    { name: "completion/void", messages: () => [{ invocationId: "1", type: TYPE.Completion }] },
    { name: "completion/result", messages: () => [{ invocationId: "1", result: 42, type: TYPE.Completion }] },
    { name: "completion/object result", messages: () => [{ invocationId: "1", result: item, type: TYPE.Completion }] },
    { name: "completion/json tags", messages: () => [{ invocationId: "1", result: tagged, type: TYPE.Completion }] },
    // Go -> JS only: the Go value sets Secret ("-") and leaves note empty.
    {
        name: "completion/json tags skip",
        messages: () => [{ invocationId: "1", result: { name: "Tea", qty: 0, Plain: 0 }, type: TYPE.Completion }],
        encodes: [],
    },
    { name: "completion/null result", messages: () => [{ invocationId: "1", result: null, type: TYPE.Completion }] },
    { name: "completion/false result", messages: () => [{ invocationId: "1", result: false, type: TYPE.Completion }] },
    { name: "completion/error", messages: () => [{ error: "Something bad ü", invocationId: "1", type: TYPE.Completion }] },
    { name: "completion/headers", messages: () => [{ headers: traceHeaders, invocationId: "1", result: "ok", type: TYPE.Completion }] },
    { name: "cancel invocation", messages: () => [{ invocationId: "3", type: TYPE.CancelInvocation }], ignored: true },
    { name: "ping", messages: () => [{ type: TYPE.Ping }] },
    { name: "close/plain", messages: () => [{ type: TYPE.Close }] },
    // The MessagePack client always writes [7, nil], dropping error and
    // allowReconnect, so these three are Go -> JS only for MessagePack.
    { name: "close/error", messages: () => [{ error: "Server closed ü", type: TYPE.Close }], encodes: ["json"] },
    { name: "close/allow reconnect", messages: () => [{ allowReconnect: true, type: TYPE.Close }], encodes: ["json"] },
    { name: "close/error and allow reconnect", messages: () => [{ allowReconnect: true, error: "Going away", type: TYPE.Close }], encodes: ["json"] },
    { name: "ack", messages: () => [{ sequenceId: 5, type: TYPE.Ack }] },
    { name: "sequence", messages: () => [{ sequenceId: 2 ** 40, type: TYPE.Sequence }] },
    {
        name: "batch",
        messages: () => [
            { type: TYPE.Ping },
            { arguments: ["a", 1], invocationId: "9", target: "Add", type: TYPE.Invocation },
            { invocationId: "9", result: "done", type: TYPE.Completion },
            { sequenceId: 3, type: TYPE.Ack },
        ],
    },
    // Handshakes. The client writes requests only; listhub writes responses
    // only, so responses are Go -> JS only. Requests are checked Go -> JS the
    // way a server reads them (split at the separator, JSON.parse).
    { name: "handshake/request", request: (p) => ({ protocol: p, version: 1 }), messages: () => [] },
    // Version 2 is sent when stateful reconnect is on.
    { name: "handshake/request v2", request: (p) => ({ protocol: p, version: 2 }), messages: () => [] },
    // The request followed by the client's first Ping in the same chunk.
    { name: "handshake/request then ping", request: (p) => ({ protocol: p, version: 1 }), messages: () => [{ type: TYPE.Ping }] },
    { name: "handshake/response ok", response: () => ({}), messages: () => [], encodes: [] },
    {
        name: "handshake/response ok then messages",
        response: () => ({}),
        messages: () => [{ type: TYPE.Ping }, { arguments: ["welcome"], target: "Greet", type: TYPE.Invocation }],
        encodes: [],
    },
    // In binary mode the JS client decodes the response bytes one by one as
    // Latin-1, so non-ASCII error texts only survive on JSON connections.
    {
        name: "handshake/response error",
        response: (p) => ({ error: p === "json" ? "The protocol 'x\"ü' is not supported." : "The protocol 'xml' is not supported." }),
        messages: () => [],
        encodes: [],
    },
];

function buildCases() {
    const cases = [];
    for (const def of caseDefs) {
        for (const p of Object.keys(protocols)) {
            const messages = def.messages(p);
            cases.push({
                name: def.name,
                protocol: p,
                request: def.request ? def.request(p) : undefined,
                response: def.response ? def.response(p) : undefined,
                messages,
                expected: def.ignored ? [] : (def.expect ? def.expect(p) : messages).map((m) => expectedParse(p, m)),
                encode: def.encodes ? def.encodes.includes(p) : true,
            });
        }
    }
    return cases;
}

// expectedParse is what the official parser returns for message m written by
// a conforming server. For JSON that is the message itself (the parser keeps
// what JSON.parse made). The MessagePack parser builds its own objects: it
// always sets headers, sets streamIds to [] (the element is ignored), and
// reads Close's optional third element as allowReconnect, which .NET writes as
// false.
function expectedParse(p, m) {
    if (p === "json") {
        return m;
    }
    switch (m.type) {
        case TYPE.Invocation: {
            const out = { arguments: m.arguments, headers: m.headers || {}, streamIds: [], target: m.target, type: m.type };
            if (m.invocationId) {
                out.invocationId = m.invocationId;
            }
            return out;
        }
        case TYPE.StreamItem:
            return { headers: m.headers || {}, invocationId: m.invocationId, item: m.item, type: m.type };
        case TYPE.Completion:
            return { error: m.error, headers: m.headers || {}, invocationId: m.invocationId, result: m.result, type: m.type };
        case TYPE.Close:
            return { allowReconnect: m.allowReconnect ? true : oneOf(false, undefined), error: m.error ?? null, type: m.type };
        default:
            return m;
    }
}

// ---------------------------------------------------------------------------
// Encode (JS -> Go)

function toBuffer(out) {
    return typeof out === "string" ? Buffer.from(out, "utf8") : Buffer.from(new Uint8Array(out));
}

function encodeCase(c) {
    const parts = [];
    if (c.request) {
        parts.push(toBuffer(handshake.writeHandshakeRequest(c.request)));
    }
    for (const m of c.messages) {
        parts.push(toBuffer(protocols[c.protocol].writeMessage(m)));
    }
    return Buffer.concat(parts);
}

function encode() {
    const cases = buildCases()
        .filter((c) => c.encode)
        .map((c) => ({ name: c.name, protocol: c.protocol, bytes: encodeCase(c).toString("base64") }));
    process.stdout.write(JSON.stringify({ cases }, null, 1) + "\n");
}

// ---------------------------------------------------------------------------
// Decode (Go -> JS)

// transportData is what the client's transport hands to the protocol: a
// string for text (JSON) connections, an ArrayBuffer for binary ones.
function transportData(p, buf) {
    if (p === "json") {
        return new TextDecoder("utf-8", { fatal: true }).decode(buf);
    }
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

function decodeCase(c, buf) {
    let data = transportData(c.protocol, buf);
    if (c.response) {
        // As HubConnection._processHandshakeResponse does.
        const [remaining, response] = handshake.parseHandshakeResponse(data);
        check("handshake response", response, c.response);
        data = remaining;
    } else if (c.request) {
        // As a server reads it: JSON text up to the first record separator.
        const bytes = new Uint8Array(typeof data === "string" ? Buffer.from(data, "utf8") : data);
        const end = bytes.indexOf(0x1e);
        if (end < 0) {
            throw new Error("handshake request has no record separator");
        }
        const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end));
        check("handshake request", JSON.parse(text), c.request);
        const rest = bytes.subarray(end + 1);
        data = rest.length === 0 ? null : transportData(c.protocol, Buffer.from(rest));
    }
    const parsed = data === null || data === undefined ? [] : protocols[c.protocol].parseMessages(data, logger);
    check("messages", parsed, c.expected);
}

function decode(file) {
    const doc = JSON.parse(readFileSync(file, "utf8"));
    const wanted = new Map(buildCases().map((c) => [key(c), c]));
    let passed = 0;
    let failed = 0;
    const fail = (name, msg) => {
        failed++;
        console.log(`FAIL ${name}: ${msg}`);
    };
    for (const got of doc.cases) {
        const name = key(got);
        const c = wanted.get(name);
        if (!c) {
            fail(name, "no such case in golden.mjs");
            continue;
        }
        wanted.delete(name);
        const buf = Buffer.from(got.bytes, "base64");
        try {
            decodeCase(c, buf);
            passed++;
        } catch (e) {
            fail(name, `${e.message}\n  bytes: ${describeBytes(c.protocol, buf)}`);
        }
    }
    for (const name of wanted.keys()) {
        fail(name, "case missing from the input");
    }
    console.log(`golden: ${passed} passed, ${failed} failed`);
    process.exitCode = failed > 0 ? 1 : 0;
}

function key(c) {
    return `${c.protocol}:${c.name}`;
}

function describeBytes(p, buf) {
    return p === "json" ? JSON.stringify(buf.toString("utf8")) : buf.toString("hex").replace(/(..)/g, "$1 ").trim();
}

// ---------------------------------------------------------------------------
// Comparison: deep equality where an undefined property equals a missing one,
// Dates compare by instant, Uint8Arrays by content, and expectations may use
// the matchers oneOf(...) and isoDate(ms).

const matcher = Symbol("matcher");

function oneOf(...values) {
    return { [matcher]: (got, path) => values.some((v) => tryEqual(got, v, path)), describe: `one of ${values.map(show).join(", ")}` };
}

function isoDate(ms) {
    return {
        [matcher]: (got) => typeof got === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(got) && Date.parse(got) === ms,
        describe: `an ISO 8601 string for ${new Date(ms).toISOString()}`,
    };
}

function check(what, got, want) {
    const diff = difference(got, want, what);
    if (diff) {
        throw new Error(`${diff}\n  got:  ${show(got)}\n  want: ${show(want)}`);
    }
}

function tryEqual(got, want, path) {
    return difference(got, want, path) === null;
}

function difference(got, want, path) {
    if (want !== null && typeof want === "object" && want[matcher]) {
        return want[matcher](got, path) ? null : `${path}: got ${show(got)}, want ${want.describe}`;
    }
    if (want instanceof Date) {
        return got instanceof Date && got.getTime() === want.getTime() ? null : `${path}: got ${show(got)}, want Date ${want.toISOString()}`;
    }
    if (want instanceof Uint8Array) {
        return got instanceof Uint8Array && Buffer.from(got).equals(Buffer.from(want)) ? null : `${path}: got ${show(got)}, want bytes ${show(want)}`;
    }
    if (Array.isArray(want)) {
        if (!Array.isArray(got)) {
            return `${path}: got ${show(got)}, want an array`;
        }
        if (got.length !== want.length) {
            return `${path}: got ${got.length} elements, want ${want.length}`;
        }
        for (let i = 0; i < want.length; i++) {
            const d = difference(got[i], want[i], `${path}[${i}]`);
            if (d) {
                return d;
            }
        }
        return null;
    }
    if (want !== null && typeof want === "object") {
        if (got === null || typeof got !== "object" || Array.isArray(got) || got instanceof Uint8Array || got instanceof Date) {
            return `${path}: got ${show(got)}, want an object`;
        }
        const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
        for (const k of keys) {
            const d = difference(got[k], want[k], `${path}.${k}`);
            if (d) {
                return d;
            }
        }
        return null;
    }
    if (Object.is(got, want) || (got === 0 && want === 0)) {
        return null;
    }
    return `${path}: got ${show(got)}, want ${show(want)}`;
}

function show(v) {
    return JSON.stringify(v, (k, x) => {
        if (x === undefined) {
            return "<undefined>";
        }
        if (x !== null && typeof x === "object" && x[matcher]) {
            return `<${x.describe}>`;
        }
        if (x instanceof Uint8Array) {
            return `<bytes ${Buffer.from(x).toString("hex")}>`;
        }
        return x;
    });
}

// ---------------------------------------------------------------------------

const [mode, file] = process.argv.slice(2);
if (mode === "encode") {
    encode();
} else if (mode === "decode" && file) {
    decode(file);
} else {
    console.error("usage: node golden.mjs encode | node golden.mjs decode <file>");
    process.exitCode = 2;
}
