// The upstream app serves the client's WebWorker bundle from wwwroot; the
// WebWorker test loads it from <base>/lib/signalr-webworker/signalr.js.

import assert from "node:assert/strict";
import { after, before, it } from "node:test";

import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

it("serves /lib/signalr-webworker/signalr.js", async () => {
    const res = await fetch(`${server.url}/lib/signalr-webworker/signalr.js`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /HubConnectionBuilder/);
});
