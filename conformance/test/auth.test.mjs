// Hostile and wrong tokens with the official client against /authorizedhub:
// each gets the client's standard 401 text, and a good token in the query
// string (as browsers send it on WebSockets and SSE) is accepted.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { COMBOS, builder, rejection } from "./client.mjs";
import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

const unauthorized = "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'";

async function goodToken() {
    const res = await fetch(`${server.url}/generateJwtToken`);
    assert.equal(res.status, 200);
    return res.text();
}

const b64url = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");

const hostile = {
    "alg none": async () => `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ nameid: "testuser", exp: 9999999999 })}.`,
    "wrongly signed": async () => {
        const [h, p] = (await goodToken()).split(".");
        return `${h}.${p}.${Buffer.from("not the signature").toString("base64url")}`;
    },
    "claims tampered": async () => {
        const [h, , s] = (await goodToken()).split(".");
        return `${h}.${b64url({ nameid: "admin", exp: 9999999999 })}.${s}`;
    },
    "bad base64": async () => "!!!.@@@.###",
    huge: async () => "a".repeat(64 << 10),
};

for (const combo of COMBOS) {
    const [transport, protocol] = combo;
    describe(`${protocol} over ${transport}: tokens`, () => {
        for (const [name, make] of Object.entries(hostile)) {
            it(`${name}: the client's 401 text`, async () => {
                const token = await make();
                const c = builder(`${server.url}/authorizedhub`, combo, { accessTokenFactory: () => token }).build();
                const e = await rejection(c.start());
                assert.equal(e.message, unauthorized);
            });
        }

        it("a good token in the access_token query parameter is accepted", async (t) => {
            const token = await goodToken();
            const c = builder(`${server.url}/authorizedhub?access_token=${encodeURIComponent(token)}`, combo).build();
            t.after(() => c.stop());
            await c.start();
            assert.equal(await c.invoke("Echo", "via query"), "via query");
        });
    });
}
