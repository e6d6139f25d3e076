// The shopping list's hub through the official client, in every transport
// and protocol: joining, list events, presence, resume and revocation.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { COMBOS, connect } from "./client.mjs";
import { api, register, sharedList, startServer } from "./server.mjs";

let srv;
before(async () => { srv = await startServer(); });
after(async () => { assert.equal(await srv.stop(), 0, "the server exits 0 on SIGTERM"); });

const base = (p, type, listId) => {
    assert.equal(p.eventType, type);
    assert.equal(p.listId, listId);
    assert.match(p.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
};

test("negotiate without a token is 401 and the client does not start", async (t) => {
    const res = await fetch(srv.url + "/hubs/shopping-list/negotiate?negotiateVersion=1", { method: "POST" });
    assert.equal(res.status, 401);
    await assert.rejects(connect(t, srv.url, "not-a-token", COMBOS[0]), /401|Unauthorized/);
});

for (const combo of COMBOS) {
    describe(combo.join(" + "), () => {
        test("JoinList: Access denied for a stranger, {seq, missed, reloadRequired} for a member", async (t) => {
            const { owner, list } = await sharedList(srv.url);
            const stranger = await register(srv.url, "Eve");
            const eve = await connect(t, srv.url, stranger.token, combo);
            await assert.rejects(eve.conn.invoke("JoinList", list.id), /HubException: Access denied/);
            await assert.rejects(eve.conn.invoke("JoinList", "no-such-list"), /HubException: Access denied/);

            const ann = await connect(t, srv.url, owner.token, combo);
            const res = await ann.conn.invoke("JoinList", list.id);
            assert.deepEqual(res, { seq: 0, missed: [], reloadRequired: false });
        });

        test("item events reach the list's group in seq order with the contract's payloads", async (t) => {
            const { owner, list, users: [bob] } = await sharedList(srv.url, ["Bob"]);
            const b = await connect(t, srv.url, bob.token, combo);
            const joined = await b.conn.invoke("JoinList", list.id);
            assert.equal(joined.seq, 1, "CollaboratorAdded was the list's first event");
            const L = `/api/lists/${list.id}`;

            const item = (await api(srv.url, owner.token, "POST", `${L}/items`, { name: "Milk", quantity: 2, unit: "l" })).body;
            const added = await b.next("ItemAdded");
            base(added, "ItemAdded", list.id);
            assert.equal(added.seq, 2);
            assert.deepEqual(added.item, item);

            await api(srv.url, owner.token, "PATCH", `${L}/items/${item.id}`, { name: "Oat milk", notes: "<b>x</b>" });
            const updated = await b.next("ItemUpdated");
            base(updated, "ItemUpdated", list.id);
            assert.equal(updated.seq, 3);
            assert.deepEqual(updated.changedFields, ["name", "notes"]);
            assert.equal(updated.item.name, "Oat milk");
            assert.equal(updated.item.notes, "<b>x</b>");
            assert.equal(updated.item.version, 2);

            await api(srv.url, owner.token, "POST", `${L}/items/${item.id}/purchase`, { isPurchased: true });
            const bought = await b.next("ItemPurchasedStatusChanged");
            base(bought, "ItemPurchasedStatusChanged", list.id);
            assert.equal(bought.seq, 4);
            assert.equal(bought.itemId, item.id);
            assert.equal(bought.isPurchased, true);
            assert.deepEqual(bought.purchasedBy, { id: owner.user.id, displayName: "Ann" });
            assert.equal(typeof bought.purchasedAt, "string");
            assert.equal(bought.version, 3);

            await api(srv.url, owner.token, "PATCH", L, { name: "Weekend" });
            const lu = await b.next("ListUpdated");
            assert.equal(lu.seq, 5);
            assert.deepEqual(lu.changedFields, ["name"]);
            assert.equal(lu.list.name, "Weekend");

            assert.equal((await api(srv.url, owner.token, "DELETE", `${L}/items/${item.id}`)).status, 204);
            const deleted = await b.next("ItemDeleted");
            base(deleted, "ItemDeleted", list.id);
            assert.equal(deleted.seq, 6);
            assert.equal(deleted.itemId, item.id);
            assert.deepEqual(deleted.deletedBy, { id: owner.user.id, displayName: "Ann" });

            const seqs = b.events.filter((e) => e.payload.seq !== undefined).map((e) => e.payload.seq);
            assert.deepEqual(seqs, [2, 3, 4, 5, 6]);
        });

        test("presence: PresenceUpdate to the joiner, UserJoined and UserLeft to the others", async (t) => {
            const { owner, list, users: [bob] } = await sharedList(srv.url, ["Bob"]);
            const a = await connect(t, srv.url, owner.token, combo);
            await a.conn.invoke("JoinList", list.id);
            const first = await a.next("PresenceUpdate");
            base(first, "PresenceUpdate", list.id);
            assert.deepEqual(first.activeUsers.map((u) => u.id), [owner.user.id]);
            assert.equal(first.activeUsers[0].displayName, "Ann");

            const b = await connect(t, srv.url, bob.token, combo);
            await b.conn.invoke("JoinList", list.id);
            const both = await b.next("PresenceUpdate");
            assert.deepEqual(both.activeUsers.map((u) => u.id), [owner.user.id, bob.user.id]);
            for (const u of both.activeUsers) {
                assert.equal(typeof u.joinedAt, "string");
                assert.equal(typeof u.lastSeenAt, "string");
            }
            const joined = await a.next("UserJoined");
            base(joined, "UserJoined", list.id);
            assert.deepEqual(joined.user, { id: bob.user.id, displayName: "Bob", avatarUrl: "" });
            assert.equal(joined.seq, undefined, "presence events carry no seq");
            assert.equal(b.events.filter((e) => e.name === "UserJoined").length, 0, "the joiner is not told about itself");

            // A second connection of Bob is not a new arrival, and its leave is not a departure.
            const b2 = await connect(t, srv.url, bob.token, combo);
            await b2.conn.invoke("JoinList", list.id);
            await b2.conn.invoke("LeaveList", list.id);
            await b2.conn.stop();
            await b.conn.invoke("UpdatePresence", list.id);

            await b.conn.invoke("LeaveList", list.id);
            const left = await a.next("UserLeft");
            base(left, "UserLeft", list.id);
            assert.equal(left.userId, bob.user.id);
            assert.equal(left.displayName, "Bob");
            assert.equal(a.events.filter((e) => e.name === "UserJoined").length, 1);
            assert.equal(a.events.filter((e) => e.name === "UserLeft").length, 1);
        });

        test("resume: JoinList(listId, afterSeq) returns the missed events in order", async (t) => {
            const { owner, list, users: [bob] } = await sharedList(srv.url, ["Bob"]);
            let b = await connect(t, srv.url, bob.token, combo);
            const { seq } = await b.conn.invoke("JoinList", list.id);
            await b.conn.stop();
            const names = ["Eggs", "Flour", "Sugar"];
            for (const name of names) {
                await api(srv.url, owner.token, "POST", `/api/lists/${list.id}/items`, { name });
            }
            b = await connect(t, srv.url, bob.token, combo);
            const res = await b.conn.invoke("JoinList", list.id, seq);
            assert.equal(res.seq, seq + 3);
            assert.equal(res.reloadRequired, false);
            assert.deepEqual(res.missed.map((e) => [e.eventType, e.seq, e.item.name]), names.map((n, i) => ["ItemAdded", seq + 1 + i, n]));
            const none = await b.conn.invoke("JoinList", list.id, res.seq);
            assert.deepEqual(none.missed, []);
            assert.equal(none.reloadRequired, false);
        });

        test("revocation: the removed user gets CollaboratorRemoved, then AccessRevoked, then nothing more", async (t) => {
            const { owner, list, users: [bob] } = await sharedList(srv.url, ["Bob"]);
            const a = await connect(t, srv.url, owner.token, combo);
            await a.conn.invoke("JoinList", list.id);
            const b = await connect(t, srv.url, bob.token, combo);
            await b.conn.invoke("JoinList", list.id);

            const res = await api(srv.url, owner.token, "DELETE", `/api/lists/${list.id}/collaborators/${bob.user.id}`);
            assert.equal(res.status, 204);
            const removed = await b.next("CollaboratorRemoved");
            assert.equal(removed.userId, bob.user.id);
            const revoked = await b.next("AccessRevoked");
            base(revoked, "AccessRevoked", list.id);
            assert.equal(typeof revoked.reason, "string");
            assert.ok(b.events.findIndex((e) => e.name === "CollaboratorRemoved") < b.events.findIndex((e) => e.name === "AccessRevoked"));

            await api(srv.url, owner.token, "POST", `/api/lists/${list.id}/items`, { name: "Secret" });
            await a.next("ItemAdded");
            // A round trip on Bob's connection: anything sent before it has arrived.
            await assert.rejects(b.conn.invoke("JoinList", list.id), /Access denied/);
            assert.equal(b.events.filter((e) => e.name === "ItemAdded").length, 0);
        });
    });
}

test("deleting a list: ListDeleted to every member, then AccessRevoked", async (t) => {
    const { owner, list, users: [bob] } = await sharedList(srv.url, ["Bob"]);
    const b = await connect(t, srv.url, bob.token, COMBOS[1]);
    await b.conn.invoke("JoinList", list.id);
    assert.equal((await api(srv.url, owner.token, "DELETE", `/api/lists/${list.id}`)).status, 204);
    const deleted = await b.next("ListDeleted");
    base(deleted, "ListDeleted", list.id);
    assert.deepEqual(deleted.deletedBy, { id: owner.user.id, displayName: "Ann" });
    assert.equal(typeof deleted.seq, "number");
    await b.next("AccessRevoked");
    assert.ok(b.events.findIndex((e) => e.name === "ListDeleted") < b.events.findIndex((e) => e.name === "AccessRevoked"));
    await assert.rejects(b.conn.invoke("JoinList", list.id), /Access denied/);
});

test("UpdatePresence of a user who lost access: AccessRevoked and out of the group", async (t) => {
    const { owner, list, users: [bob] } = await sharedList(srv.url, ["Bob"], "Viewer");
    const b = await connect(t, srv.url, bob.token, COMBOS[0]);
    await b.conn.invoke("JoinList", list.id);
    // Bob leaves through REST; his connection's heartbeat notices.
    assert.equal((await api(srv.url, bob.token, "DELETE", `/api/lists/${list.id}/collaborators/${bob.user.id}`)).status, 204);
    await b.next("AccessRevoked");
    await b.conn.invoke("UpdatePresence", list.id);
    assert.ok(b.events.filter((e) => e.name === "AccessRevoked").length >= 2);
    await api(srv.url, owner.token, "POST", `/api/lists/${list.id}/items`, { name: "After" });
    await b.conn.invoke("UpdatePresence", list.id);
    assert.equal(b.events.filter((e) => e.name === "ItemAdded").length, 0);
});

test("hub calls are rate limited per user and the connection stays up", async (t) => {
    const { owner, list } = await sharedList(srv.url);
    const a = await connect(t, srv.url, owner.token, COMBOS[0]);
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => a.conn.invoke("UpdatePresence", list.id)));
    const limited = results.filter((r) => r.status === "rejected");
    assert.ok(limited.length > 0, "some of 40 calls at once exceed the burst of 20");
    assert.match(String(limited[0].reason), /HubException: Rate limit exceeded/);
    assert.equal(a.conn.state, "Connected");
});
