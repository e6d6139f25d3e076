// listState applies list events to a list's state. It is pure: the hook
// decides which events to apply and in which order (seq), this file only how.
// Item changes compare versions, so an event never undoes a newer answer
// that already arrived over REST.

import type { Item, ListDetail, ListEvent, UserRef } from "../types";

export function sortItems(items: Item[]): Item[] {
  return [...items].sort(
    (a, b) => a.position - b.position || String(a.createdAt).localeCompare(String(b.createdAt)) || a.id.localeCompare(b.id),
  );
}

function withCounts(d: ListDetail, items: Item[]): ListDetail {
  const sorted = sortItems(items);
  return {
    ...d,
    items: sorted,
    itemCount: sorted.length,
    purchasedCount: sorted.filter((i) => i.isPurchased).length,
  };
}

// upsertItem puts item in, unless the list already holds a newer version.
export function upsertItem(d: ListDetail, item: Item): ListDetail {
  const cur = d.items.find((i) => i.id === item.id);
  if (cur && cur.version > item.version) return d;
  const items = cur ? d.items.map((i) => (i.id === item.id ? item : i)) : [...d.items, item];
  return withCounts(d, items);
}

export function replaceItem(d: ListDetail, item: Item): ListDetail {
  return withCounts(
    d,
    d.items.map((i) => (i.id === item.id ? item : i)),
  );
}

export function removeItem(d: ListDetail, itemId: string): ListDetail {
  return withCounts(
    d,
    d.items.filter((i) => i.id !== itemId),
  );
}

export function addItemLocal(d: ListDetail, item: Item): ListDetail {
  return withCounts(d, [...d.items.filter((i) => i.id !== item.id), item]);
}

// applyEvent returns the list after ev, and whether the list was deleted.
export function applyEvent(d: ListDetail, ev: ListEvent, me: string): ListDetail {
  const next = { ...d, seq: Math.max(d.seq, ev.seq) };
  switch (ev.eventType) {
    case "ItemAdded":
    case "ItemUpdated":
      return upsertItem(next, ev.item);
    case "ItemDeleted":
      return removeItem(next, ev.itemId);
    case "ItemPurchasedStatusChanged": {
      const cur = next.items.find((i) => i.id === ev.itemId);
      if (!cur || cur.version > ev.version) return next;
      return replaceItem(next, {
        ...cur,
        isPurchased: ev.isPurchased,
        purchasedBy: ev.purchasedBy,
        purchasedAt: ev.purchasedAt,
        version: ev.version,
      });
    }
    case "ListUpdated":
      // The event's list carries the sender's view; keep our own permission.
      return { ...next, ...ev.list, permission: next.permission, items: next.items, collaborators: next.collaborators, seq: next.seq };
    case "ListDeleted":
      return next;
    case "CollaboratorAdded":
      return {
        ...next,
        collaborators: [...next.collaborators.filter((c) => c.userId !== ev.collaborator.userId), ev.collaborator],
      };
    case "CollaboratorPermissionChanged":
      return {
        ...next,
        permission: ev.userId === me ? ev.permission : next.permission,
        collaborators: next.collaborators.map((c) => (c.userId === ev.userId ? { ...c, permission: ev.permission } : c)),
      };
    case "CollaboratorRemoved":
      return { ...next, collaborators: next.collaborators.filter((c) => c.userId !== ev.userId) };
  }
}

// eventActor names who made the change, when the event says so.
export function eventActor(ev: ListEvent): UserRef | null {
  switch (ev.eventType) {
    case "ItemAdded":
      return ev.item.createdBy;
    case "ItemUpdated":
      return ev.item.updatedBy;
    case "ItemDeleted":
      return ev.deletedBy;
    case "ItemPurchasedStatusChanged":
      return ev.isPurchased ? ev.purchasedBy : null;
    case "ListUpdated":
      return null;
    case "ListDeleted":
      return ev.deletedBy;
    case "CollaboratorAdded":
      return ev.invitedBy;
    case "CollaboratorPermissionChanged":
      return ev.changedBy;
    case "CollaboratorRemoved":
      return ev.removedBy;
  }
}

// eventSubject is the key of what an event changed, to match it with the
// user's own requests when the event does not name its actor.
export function eventSubject(ev: ListEvent): string {
  switch (ev.eventType) {
    case "ItemAdded":
    case "ItemUpdated":
      return `item:${ev.item.id}`;
    case "ItemDeleted":
    case "ItemPurchasedStatusChanged":
      return `item:${ev.itemId}`;
    case "CollaboratorAdded":
      return `collaborator:${ev.collaborator.userId}`;
    case "CollaboratorPermissionChanged":
    case "CollaboratorRemoved":
      return `collaborator:${ev.userId}`;
    default:
      return "list";
  }
}

function quote(s: string): string {
  return `“${s}”`;
}

// describeEvent is the toast for another person's change; before is the
// list as it was, for the names of deleted things.
export function describeEvent(ev: ListEvent, before: ListDetail): string {
  const who = eventActor(ev)?.displayName || "Someone";
  const itemName = (id: string) => before.items.find((i) => i.id === id)?.name ?? "an item";
  switch (ev.eventType) {
    case "ItemAdded":
      return `${who} added ${quote(ev.item.name)}`;
    case "ItemUpdated": {
      const old = before.items.find((i) => i.id === ev.item.id);
      if (old && old.name !== ev.item.name) return `${who} renamed ${quote(old.name)} to ${quote(ev.item.name)}`;
      return `${who} changed ${quote(ev.item.name)}`;
    }
    case "ItemDeleted":
      return `${who} removed ${quote(itemName(ev.itemId))}`;
    case "ItemPurchasedStatusChanged":
      return ev.isPurchased
        ? `${who} bought ${quote(itemName(ev.itemId))}`
        : `${who} put ${quote(itemName(ev.itemId))} back on the list`;
    case "ListUpdated":
      return `${who} changed the list's details`;
    case "ListDeleted":
      return `${who} deleted this list`;
    case "CollaboratorAdded":
      return `${who} invited ${ev.collaborator.displayName}`;
    case "CollaboratorPermissionChanged": {
      const c = before.collaborators.find((x) => x.userId === ev.userId);
      return `${who} made ${c?.displayName ?? "a member"} ${ev.permission === "Editor" ? "an" : "a"} ${ev.permission}`;
    }
    case "CollaboratorRemoved":
      return `${who} removed ${ev.displayName} from the list`;
  }
}
