// One naming rule for both protocols: a Go struct with only json tags
// (TaggedItem of the test server: name, qty, note omitempty, Secret "-")
// reaches the official client with the same keys over JSON and MessagePack,
// as a result and as a client method's argument, and binds from the keys
// the client sends.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { COMBOS, connect, deferred, within } from "./client.mjs";
import { startTestServer } from "./server.mjs";

let server;
before(async () => {
    server = await startTestServer();
});
after(() => server?.stop());

const hubUrl = () => server.url + "/testhub";

for (const combo of COMBOS) {
    const [transport, protocol] = combo;

    describe(`${protocol} over ${transport}`, () => {
        it("a json-tagged struct arrives with its json names both ways", async (t) => {
            const pushed = deferred();
            const c = await connect(t, hubUrl(), combo, { before: (c) => c.on("TaggedItem", (item) => pushed.resolve(item)) });
            const got = await c.invoke("EchoTaggedItem", { name: "milk", qty: 2, note: "semi-skimmed" });
            assert.deepEqual(got, { name: "milk", qty: 4, note: "semi-skimmed" });
            assert.deepEqual(await within(pushed.promise, 10_000, "TaggedItem"), got);
        });

        it("omitempty leaves an empty field out and \"-\" is never bound", async (t) => {
            const c = await connect(t, hubUrl(), combo);
            const got = await c.invoke("EchoTaggedItem", { name: "tea", qty: 1, Secret: "from the client", "-": "x" });
            assert.deepEqual(got, { name: "tea", qty: 2 });
            assert.deepEqual(Object.keys(got).sort(), ["name", "qty"]);
        });
    });
}
