// The plain HTTP side of the functional-test app: negotiate responses, the
// 401 of /authorizedhub, CORS, the negotiate cookies, /generateJwtToken,
// /clientresult and the redirect middleware.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { TRANSPORTS } from "./client.mjs";
import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

const formats = {
    WebSockets: ["Text", "Binary"],
    ServerSentEvents: ["Text"],
    LongPolling: ["Text", "Binary"],
};
const order = ["WebSockets", "ServerSentEvents", "LongPolling"];
const listed = (transports) =>
    order.filter((t) => transports.includes(t)).map((transport) => ({ transport, transferFormats: formats[transport] }));

const post = (path, init = {}) => fetch(server.url + path, { method: "POST", ...init });
const token = async () => (await fetch(`${server.url}/generateJwtToken`)).text();

describe("negotiate", () => {
    it("version 1: ids, token and exactly the transports the suite tests", async () => {
        const res = await post("/testhub/negotiate?negotiateVersion=1");
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type"), /^application\/json/);
        const body = await res.json();
        assert.deepEqual(Object.keys(body).sort(), ["availableTransports", "connectionId", "connectionToken", "negotiateVersion"]);
        assert.equal(body.negotiateVersion, 1);
        assert.match(body.connectionId, /^[A-Za-z0-9_-]{22}$/);
        assert.match(body.connectionToken, /^[A-Za-z0-9_-]{22}$/);
        assert.notEqual(body.connectionId, body.connectionToken);
        // When this fails because the server lists more transports, add them to COMBOS in client.mjs.
        assert.deepEqual(body.availableTransports, listed(TRANSPORTS));
    });

    it("version 0 (no negotiateVersion): no connectionToken", async () => {
        const body = await (await post("/testhub/negotiate")).json();
        assert.equal(body.connectionToken, undefined);
        assert.equal(typeof body.connectionId, "string");
        assert.ok(!("ProtocolVersion" in body));
    });

    it("query keys are case-insensitive and versions above 1 are clamped", async () => {
        const body = await (await post("/testhub/negotiate?NegotiateVersion=5")).json();
        assert.equal(body.negotiateVersion, 1);
        assert.equal(typeof body.connectionToken, "string");
    });

    it("a non-integer version is an error with status 200", async () => {
        const res = await post("/testhub/negotiate?negotiateVersion=abc");
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { error: "The client requested a non-integer protocol version." });
    });

    it("GET is not allowed", async () => {
        const res = await fetch(`${server.url}/testhub/negotiate`);
        assert.equal(res.status, 405);
    });

    it("/testhub-nowebsockets lists ServerSentEvents and LongPolling only", async () => {
        const res = await post("/testhub-nowebsockets/negotiate?negotiateVersion=1");
        assert.equal(res.status, 200);
        assert.deepEqual((await res.json()).availableTransports, listed(["ServerSentEvents", "LongPolling"]));
    });
});

describe("/authorizedhub", () => {
    it("negotiate without a token: 401 with an empty body, cookies still set", async () => {
        const res = await post("/authorizedhub/negotiate?negotiateVersion=1");
        assert.equal(res.status, 401);
        assert.equal(await res.text(), "");
        assert.equal(res.headers.getSetCookie().length, 3);
    });

    it("negotiate with a Bearer token: 200", async () => {
        const res = await post("/authorizedhub/negotiate?negotiateVersion=1", { headers: { Authorization: `Bearer ${await token()}` } });
        assert.equal(res.status, 200);
    });

    it("negotiate with ?access_token=: 200", async () => {
        const res = await post(`/authorizedhub/negotiate?negotiateVersion=1&access_token=${encodeURIComponent(await token())}`);
        assert.equal(res.status, 200);
    });

    it("the Authorization header wins over ?access_token=", async () => {
        const res = await post(`/authorizedhub/negotiate?access_token=${encodeURIComponent(await token())}`, { headers: { Authorization: "Bearer nonsense" } });
        assert.equal(res.status, 401);
    });

    it("/generateJwtToken returns a bare HS256 JWT for testuser", async () => {
        const text = await token();
        assert.match(text, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        const [header, payload] = text.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url").toString()));
        assert.equal(header.alg, "HS256");
        assert.equal(payload.nameid, "testuser");
        const now = Date.now() / 1000;
        assert.ok(payload.exp > now && payload.exp <= now + 60, `exp ${payload.exp}, now ${now}`);
    });
});

describe("middleware", () => {
    it("CORS preflight: 204 reflecting origin, method and headers", async () => {
        const res = await fetch(`${server.url}/testhub/negotiate?negotiateVersion=1`, {
            method: "OPTIONS",
            headers: {
                Origin: "http://example.test:1234",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-requested-with,x-signalr-user-agent,authorization",
            },
        });
        assert.equal(res.status, 204);
        assert.equal(res.headers.get("access-control-allow-origin"), "http://example.test:1234");
        assert.equal(res.headers.get("access-control-allow-credentials"), "true");
        assert.equal(res.headers.get("access-control-allow-methods"), "POST");
        assert.equal(res.headers.get("access-control-allow-headers"), "x-requested-with,x-signalr-user-agent,authorization");
    });

    it("CORS on a cross-origin negotiate: the origin once, with credentials", async () => {
        const res = await post("/testhub/negotiate?negotiateVersion=1", { headers: { Origin: "http://example.test:1234" } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("access-control-allow-origin"), "http://example.test:1234");
        assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    });

    it("every path containing /negotiate sets the test cookies in .NET's format", async () => {
        for (const path of ["/testhub/negotiate", "/echo/negotiate", "/bad-negotiate/negotiate"]) {
            const cookies = (await post(path)).headers.getSetCookie();
            assert.equal(cookies[0], "testCookie=testValue; path=/", path);
            assert.equal(cookies[1], "testCookie2=testValue2; path=/", path);
            const m = /^expiredCookie=doesntmatter; expires=(.+); path=\/$/.exec(cookies[2]);
            assert.ok(m, `${path}: ${cookies[2]}`);
            assert.ok(Date.parse(m[1]) < Date.now() - 30 * 60 * 1000, `expires ${m[1]} is an hour ago`);
        }
    });

    it("/bad-negotiate answers 400 \"Some response from server\"", async () => {
        const res = await post("/bad-negotiate/negotiate?negotiateVersion=1");
        assert.equal(res.status, 400);
        assert.equal(await res.text(), "Some response from server");
    });

    it("/redirect answers any method with a url to /testHub and a growing count", async () => {
        const base = "http://other.test:1";
        const a = await (await post(`/redirect/negotiate?negotiateVersion=1&baseUrl=${base}`)).json();
        const b = await (await fetch(`${server.url}/redirect/negotiate?baseUrl=${base}`)).json();
        const re = /^http:\/\/other\.test:1\/testHub\?numRedirects=(\d+)$/;
        assert.match(a.url, re);
        assert.match(b.url, re);
        assert.ok(Number(re.exec(b.url)[1]) > Number(re.exec(a.url)[1]));
        assert.ok(Number(re.exec(a.url)[1]) >= 1);
    });

    it("/echoredirect answers every request with an absolute 307 to /echo", async () => {
        for (const method of ["POST", "GET", "DELETE"]) {
            const res = await fetch(`${server.url}/echoredirect/negotiate?negotiateVersion=1&x=y`, { method, redirect: "manual" });
            assert.equal(res.status, 307, method);
            assert.equal(res.headers.get("location"), `${server.url}/echo/negotiate?negotiateVersion=1&x=y`, method);
            assert.equal(res.headers.getSetCookie().length, 0, `${method}: no cookies before the redirect`);
        }
    });

    it("/clientresult for an unknown connection reports it", async () => {
        const res = await fetch(`${server.url}/clientresult/nosuchconnection`);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "Connection 'nosuchconnection' does not exist.");
    });

    it("unknown paths get 404 with an empty body", async () => {
        const res = await post("/nohub/negotiate");
        assert.equal(res.status, 404);
        assert.equal(await res.text(), "");
    });
});
