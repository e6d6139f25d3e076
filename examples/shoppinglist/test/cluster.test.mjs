// Two server processes sharing one database and one Redis (-redis): an item
// added on node A reaches a client on node B, presence spans both, a Redis
// restart is survived, and kill -9 of node A makes B announce its user left
// within 10 s.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";

import { connect } from "./client.mjs";
import { api, sharedList, startServer } from "./server.mjs";

const WS = ["WebSockets", "json"];

function freePort() {
    return new Promise((resolve, reject) => {
        const s = createServer();
        s.listen(0, "127.0.0.1", () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
        s.on("error", reject);
    });
}

async function startRedis(port) {
    const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    await new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error("redis-server did not start: " + out)), 20000);
        proc.stdout.on("data", (d) => {
            out += d;
            if (/Ready to accept connections/.test(out)) {
                clearTimeout(timer);
                resolve();
            }
        });
        proc.on("exit", (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
    });
    const exited = new Promise((resolve) => proc.on("exit", resolve));
    return { stop: async () => { proc.kill("SIGKILL"); await exited; } };
}

async function healthy(url, part, timeoutMs = 20000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
        const res = await fetch(url + "/healthz").catch(() => null);
        const body = res ? await res.json() : null;
        if (res && res.status === 200 && body[part] === "ok") {
            return;
        }
        if (Date.now() > until) {
            throw new Error(`not healthy: ${JSON.stringify(body)}`);
        }
        // Polling an HTTP probe: there is no event to wait for.
        await new Promise((r) => setTimeout(r, 200));
    }
}

test("two nodes with -redis: items, presence, and kill -9 of a node", { timeout: 120000 }, async (t) => {
    const port = await freePort();
    let redis = await startRedis(port);
    t.after(() => redis.stop());
    const dir = mkdtempSync(path.join(tmpdir(), "shoppinglist-cluster-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = path.join(dir, "shared.db");
    const args = ["-redis", `redis://127.0.0.1:${port}/0`];
    const a = await startServer({ db, args });
    t.after(() => a.stop("SIGKILL"));
    const b = await startServer({ db, args });
    t.after(() => b.stop());

    const { owner, list, users: [bob] } = await sharedList(a.url, ["Bob"]);
    const ann = await connect(t, a.url, owner.token, WS);
    await ann.conn.invoke("JoinList", list.id);
    const bb = await connect(t, b.url, bob.token, WS);
    await bb.conn.invoke("JoinList", list.id);

    // Presence spans both nodes.
    const both = await bb.next("PresenceUpdate");
    assert.deepEqual(both.activeUsers.map((u) => u.id).sort(), [owner.user.id, bob.user.id].sort());
    const joined = await ann.next("UserJoined");
    assert.equal(joined.user.id, bob.user.id);

    // An item added through node A reaches the client on node B.
    await api(a.url, owner.token, "POST", `/api/lists/${list.id}/items`, { name: "From A" });
    assert.equal((await bb.next("ItemAdded")).item.name, "From A");

    // kill -9 of node A: B announces Ann left within 10 s.
    const killedAt = Date.now();
    await a.stop("SIGKILL");
    const left = await bb.next("UserLeft", (p) => p.userId === owner.user.id, 10000);
    assert.equal(left.displayName, "Ann");
    assert.ok(Date.now() - killedAt <= 10000);
});

test("two nodes with -redis: a Redis restart is survived", { timeout: 120000 }, async (t) => {
    const port = await freePort();
    let redis = await startRedis(port);
    t.after(() => redis.stop());
    const dir = mkdtempSync(path.join(tmpdir(), "shoppinglist-cluster-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = path.join(dir, "shared.db");
    const args = ["-redis", `redis://127.0.0.1:${port}/0`];
    const a = await startServer({ db, args });
    t.after(() => a.stop("SIGKILL"));
    const b = await startServer({ db, args });
    t.after(() => b.stop());

    const { owner, list, users: [bob] } = await sharedList(a.url, ["Bob"]);
    const bb = await connect(t, b.url, bob.token, WS);
    await bb.conn.invoke("JoinList", list.id);
    // Redis restarts: both nodes carry on.
    await redis.stop();
    redis = await startRedis(port);
    await healthy(a.url, "redis");
    await healthy(b.url, "redis");
    await api(a.url, owner.token, "POST", `/api/lists/${list.id}/items`, { name: "After the restart" });
    assert.equal((await bb.next("ItemAdded", (p) => p.item.name === "After the restart", 30000)).item.name, "After the restart");

});
