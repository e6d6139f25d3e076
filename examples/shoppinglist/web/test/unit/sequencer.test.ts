// Unit tests of the page's event ordering and of how events change a list.
// test/run-unit.mjs bundles this file with esbuild and runs it with node's
// test runner.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyEvent, describeEvent, eventActor } from "../../src/realtime/listState";
import { EventSequencer } from "../../src/realtime/sequencer";
import type { Item, ListDetail, ListEvent } from "../../src/types";

type Ev = { seq: number; name: string };

function sequencer() {
  const applied: number[] = [];
  const s = new EventSequencer<Ev>((ev) => applied.push(ev.seq));
  return { s, applied };
}

const ev = (seq: number): Ev => ({ seq, name: `e${seq}` });

describe("EventSequencer", () => {
  const cases: { name: string; snapshot: number; pushes: number[]; applied: number[]; gap: boolean }[] = [
    { name: "in order", snapshot: 0, pushes: [1, 2, 3], applied: [1, 2, 3], gap: false },
    { name: "duplicates applied once", snapshot: 0, pushes: [1, 1, 2, 1, 2, 3, 3], applied: [1, 2, 3], gap: false },
    { name: "out of order is reordered", snapshot: 0, pushes: [3, 1, 2], applied: [1, 2, 3], gap: false },
    { name: "a gap waits", snapshot: 0, pushes: [1, 3, 4], applied: [1], gap: true },
    { name: "a filled gap drains", snapshot: 0, pushes: [1, 3, 4, 2], applied: [1, 2, 3, 4], gap: false },
    { name: "events in the snapshot are dropped", snapshot: 5, pushes: [4, 5, 6, 7], applied: [6, 7], gap: false },
    { name: "missed after a reconnect, then live", snapshot: 2, pushes: [5, 3, 4, 3, 6], applied: [3, 4, 5, 6], gap: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { s, applied } = sequencer();
      s.reset(c.snapshot);
      for (const p of c.pushes) s.push(ev(p));
      assert.deepEqual(applied, c.applied);
      assert.equal(s.hasGap, c.gap);
      assert.equal(s.lastSeq, c.applied.at(-1) ?? c.snapshot);
    });
  }

  it("holds events while a snapshot loads, then applies only the newer ones", () => {
    const { s, applied } = sequencer();
    s.reset(0);
    s.push(ev(1));
    s.hold();
    for (const p of [2, 3, 4, 5]) assert.equal(s.push(ev(p)), 0);
    assert.equal(s.hasGap, false, "held events are not a gap");
    assert.equal(s.reset(3), 2);
    assert.deepEqual(applied, [1, 4, 5]);
  });

  it("buffers events that arrive before the first snapshot", () => {
    const { s, applied } = sequencer();
    s.push(ev(8));
    s.push(ev(9));
    assert.deepEqual(applied, []);
    s.reset(7);
    assert.deepEqual(applied, [8, 9]);
  });

  it("ignores events without an integer seq", () => {
    const { s, applied } = sequencer();
    s.reset(0);
    s.push({ seq: Number.NaN, name: "x" });
    s.push({ seq: 1.5, name: "y" });
    assert.deepEqual(applied, []);
    assert.equal(s.hasGap, false);
  });
});

const alice = { id: "u-alice", displayName: "Alice" };
const bob = { id: "u-bob", displayName: "Bob" };

function item(id: string, name: string, version: number, position: number): Item {
  return {
    id,
    listId: "l1",
    name,
    quantity: 1,
    unit: "",
    categoryId: null,
    notes: "",
    imageUrl: "",
    isPurchased: false,
    purchasedBy: null,
    purchasedAt: null,
    position,
    version,
    createdBy: alice,
    createdAt: "2026-01-01T00:00:00Z",
    updatedBy: alice,
    updatedAt: "2026-01-01T00:00:00Z",
  };
}

function list(items: Item[]): ListDetail {
  return {
    id: "l1",
    name: "Groceries",
    description: "",
    ownerId: alice.id,
    permission: "Editor",
    itemCount: items.length,
    purchasedCount: 0,
    seq: 1,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    items,
    collaborators: [
      { userId: alice.id, displayName: "Alice", email: "a@x.io", avatarUrl: "", permission: "Owner", addedAt: "" },
      { userId: bob.id, displayName: "Bob", email: "b@x.io", avatarUrl: "", permission: "Editor", addedAt: "" },
    ],
  };
}

const base = { listId: "l1", timestamp: "2026-01-01T00:00:00Z" };

describe("applyEvent", () => {
  it("adds, updates, purchases and deletes items, keeping counts and order", () => {
    let d = list([item("a", "Milk", 1, 1)]);
    d = applyEvent(d, { ...base, seq: 2, eventType: "ItemAdded", item: item("b", "Bread", 1, 0) }, bob.id);
    assert.deepEqual(
      d.items.map((i) => i.name),
      ["Bread", "Milk"],
    );
    d = applyEvent(d, { ...base, seq: 3, eventType: "ItemUpdated", item: { ...item("a", "Oat milk", 2, 1), updatedBy: bob }, changedFields: ["name"] }, bob.id);
    assert.equal(d.items.find((i) => i.id === "a")?.name, "Oat milk");
    d = applyEvent(
      d,
      { ...base, seq: 4, eventType: "ItemPurchasedStatusChanged", itemId: "a", isPurchased: true, purchasedBy: bob, purchasedAt: "2026-01-01T00:01:00Z", version: 3 },
      bob.id,
    );
    assert.equal(d.purchasedCount, 1);
    assert.equal(d.items.find((i) => i.id === "a")?.version, 3);
    d = applyEvent(d, { ...base, seq: 5, eventType: "ItemDeleted", itemId: "b", deletedBy: bob }, bob.id);
    assert.deepEqual(
      d.items.map((i) => i.id),
      ["a"],
    );
    assert.equal(d.itemCount, 1);
    assert.equal(d.seq, 5);
  });

  it("never replaces a newer version with an older event", () => {
    const d = list([item("a", "Newer", 5, 1)]);
    const after = applyEvent(d, { ...base, seq: 2, eventType: "ItemUpdated", item: item("a", "Older", 4, 1), changedFields: ["name"] }, bob.id);
    assert.equal(after.items[0].name, "Newer");
    const purchased = applyEvent(
      d,
      { ...base, seq: 3, eventType: "ItemPurchasedStatusChanged", itemId: "a", isPurchased: true, purchasedBy: bob, purchasedAt: null, version: 4 },
      bob.id,
    );
    assert.equal(purchased.items[0].isPurchased, false);
  });

  it("changes the caller's own permission, and keeps it on ListUpdated", () => {
    let d = list([]);
    d = applyEvent(d, { ...base, seq: 2, eventType: "CollaboratorPermissionChanged", userId: bob.id, permission: "Viewer", changedBy: alice }, bob.id);
    assert.equal(d.permission, "Viewer");
    d = applyEvent(d, { ...base, seq: 3, eventType: "ListUpdated", list: { ...list([]), name: "Party", permission: "Owner" }, changedFields: ["name"] }, bob.id);
    assert.equal(d.name, "Party");
    assert.equal(d.permission, "Viewer");
  });

  it("describes other people's changes as text", () => {
    const d = list([item("a", "<b>Milk</b>", 1, 1)]);
    const cases: [ListEvent, string][] = [
      [{ ...base, seq: 2, eventType: "ItemDeleted", itemId: "a", deletedBy: bob }, "Bob removed “<b>Milk</b>”"],
      [{ ...base, seq: 2, eventType: "ItemUpdated", item: { ...item("a", "Milk", 2, 1), updatedBy: bob }, changedFields: ["name"] }, "Bob renamed “<b>Milk</b>” to “Milk”"],
      [{ ...base, seq: 2, eventType: "CollaboratorRemoved", userId: bob.id, displayName: "Bob", removedBy: alice }, "Alice removed Bob from the list"],
    ];
    for (const [e, text] of cases) assert.equal(describeEvent(e, d), text);
    assert.equal(eventActor({ ...base, seq: 2, eventType: "ItemPurchasedStatusChanged", itemId: "a", isPurchased: false, purchasedBy: null, purchasedAt: null, version: 2 }), null);
  });
});
