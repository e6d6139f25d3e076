// The optional HTTPS listener (-https-addr) with its self-signed
// certificate: hub calls and the secure negotiate cookies, for every
// [transport, protocol] combination in COMBOS.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { COMBOS, connect } from "./client.mjs";
import { startTestServer } from "./server.mjs";

// The server's certificate is made at startup; trust it as upstream's Node
// runs do. This file runs in its own process, so nothing else is affected.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";

let server;
before(async () => {
    server = await startTestServer({ https: true });
});
after(() => server?.stop());

describe("https listener", () => {
    it("is announced with its own 'Now listening on:' line", () => {
        assert.equal(server.urls.length, 2);
        assert.match(server.httpsUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    });

    it("negotiate cookies are secure, SameSite=None and partitioned", async () => {
        const res = await fetch(`${server.httpsUrl}/testhub/negotiate?negotiateVersion=1`, { method: "POST" });
        assert.equal(res.status, 200);
        const cookies = res.headers.getSetCookie();
        assert.equal(cookies[0], "testCookie=testValue; path=/; secure; samesite=none; partitioned");
        assert.equal(cookies[1], "testCookie2=testValue2; path=/; secure; samesite=none; partitioned");
        assert.match(cookies[2], /^expiredCookie=doesntmatter; expires=[^;]+; path=\/; secure; samesite=none; partitioned$/);
    });

    for (const combo of COMBOS) {
        const [transport, protocol] = combo;
        describe(`${protocol} over ${transport}`, () => {
            it("invokes a server method", async (t) => {
                const c = await connect(t, `${server.httpsUrl}/testhub`, combo);
                const message = "你好，世界！";
                assert.equal(await c.invoke("Echo", message), message);
            });

            it("keeps the secure cookies for the transport", async (t) => {
                const c = await connect(t, `${server.httpsUrl}/testhub`, combo);
                assert.equal(await c.invoke("GetCookie", "testCookie"), "testValue");
                assert.equal(await c.invoke("GetCookie", "testCookie2"), "testValue2");
                assert.strictEqual(await c.invoke("GetCookie", "expiredCookie"), null);
            });
        });
    }
});
