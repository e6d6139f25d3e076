// useListActions: the user's own changes, optimistic. Each shows at once,
// is confirmed (or corrected) by the REST answer, and is rolled back with a
// message when the server refuses it; a 409 on an item shows the version
// that the other person saved.

import { useCallback } from "react";
import { ApiError, api, errorText } from "../api";
import type { Item, ListDetail, Permission, User } from "../types";
import { addItemLocal, removeItem, replaceItem, upsertItem } from "./listState";
import type { ListRealtime } from "./useListRealtime";

export interface ItemPatch {
  name?: string;
  quantity?: number;
  unit?: string;
  notes?: string;
}

let tmpCounter = 0;

export function useListActions(
  listId: string,
  me: User,
  rt: Pick<ListRealtime, "detail" | "mutate" | "markOwn" | "reload">,
  toastError: (text: string) => void,
) {
  const { mutate, markOwn, reload } = rt;

  // restore puts back an item's old state unless a newer version arrived.
  const restore = useCallback(
    (before: Item) =>
      mutate((d) => {
        const cur = d.items.find((i) => i.id === before.id);
        if (!cur) return addItemLocal(d, before);
        return cur.version <= before.version ? replaceItem(d, before) : d;
      }),
    [mutate],
  );

  const addItem = useCallback(
    async (name: string, quantity?: number) => {
      const now = new Date().toISOString();
      const ref = { id: me.id, displayName: me.displayName };
      const tmp: Item = {
        id: `tmp-${++tmpCounter}`,
        listId,
        name,
        quantity: quantity ?? 1,
        unit: null,
        categoryId: null,
        notes: null,
        imageUrl: null,
        isPurchased: false,
        purchasedBy: null,
        purchasedAt: null,
        position: Number.MAX_SAFE_INTEGER,
        version: 0,
        createdBy: ref,
        createdAt: now,
        updatedBy: ref,
        updatedAt: now,
      };
      mutate((d) => addItemLocal(d, tmp));
      try {
        const item = await api.addItem(listId, quantity ? { name, quantity } : { name });
        mutate((d) => upsertItem(removeItem(d, tmp.id), item));
      } catch (err) {
        mutate((d) => removeItem(d, tmp.id));
        toastError(`“${name}” was not added: ${errorText(err)}`);
      }
    },
    [listId, me, mutate, toastError],
  );

  const editItem = useCallback(
    async (before: Item, patch: ItemPatch) => {
      markOwn(`item:${before.id}`);
      mutate((d) => replaceItem(d, { ...before, ...patch }));
      try {
        const item = await api.updateItem(listId, before.id, { ...patch, expectedVersion: before.version });
        mutate((d) => upsertItem(d, item));
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && err.body.item) {
          const theirs = err.body.item;
          mutate((d) => replaceItem(d, theirs));
          const who = theirs.updatedBy?.displayName || "Someone else";
          toastError(
            `${who} changed this item first; it now reads “${theirs.name}” (quantity ${theirs.quantity}). Your edit was not saved.`,
          );
          return;
        }
        restore(before);
        toastError(`Your change to “${before.name}” was not saved: ${errorText(err)}`);
      }
    },
    [listId, markOwn, mutate, restore, toastError],
  );

  const togglePurchased = useCallback(
    async (before: Item) => {
      const isPurchased = !before.isPurchased;
      markOwn(`item:${before.id}`);
      mutate((d) =>
        replaceItem(d, {
          ...before,
          isPurchased,
          purchasedBy: isPurchased ? { id: me.id, displayName: me.displayName } : null,
          purchasedAt: isPurchased ? new Date().toISOString() : null,
        }),
      );
      try {
        const item = await api.purchase(listId, before.id, isPurchased);
        mutate((d) => upsertItem(d, item));
      } catch (err) {
        restore(before);
        toastError(`“${before.name}” was not ${isPurchased ? "marked bought" : "put back"}: ${errorText(err)}`);
      }
    },
    [listId, me, markOwn, mutate, restore, toastError],
  );

  const deleteItem = useCallback(
    async (before: Item) => {
      markOwn(`item:${before.id}`);
      mutate((d) => removeItem(d, before.id));
      try {
        await api.deleteItem(listId, before.id);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return; // gone already
        mutate((d) => addItemLocal(d, before));
        toastError(`“${before.name}” was not removed: ${errorText(err)}`);
      }
    },
    [listId, markOwn, mutate, toastError],
  );

  // moveItem swaps an item's position with its neighbour's.
  const moveItem = useCallback(
    async (items: Item[], index: number, delta: -1 | 1) => {
      const a = items[index];
      const b = items[index + delta];
      if (!a || !b) return;
      markOwn(`item:${a.id}`);
      markOwn(`item:${b.id}`);
      const pa = a.position === b.position ? b.position + delta : b.position;
      mutate((d) => replaceItem(replaceItem(d, { ...a, position: pa }), { ...b, position: a.position }));
      try {
        const ra = await api.updateItem(listId, a.id, { position: pa });
        mutate((d) => upsertItem(d, ra));
        const rb = await api.updateItem(listId, b.id, { position: a.position });
        mutate((d) => upsertItem(d, rb));
      } catch (err) {
        toastError(`The items were not reordered: ${errorText(err)}`);
        await reload();
      }
    },
    [listId, markOwn, mutate, reload, toastError],
  );

  const invite = useCallback(
    async (email: string, permission: Permission) => {
      const c = await api.invite(listId, email, permission);
      markOwn(`collaborator:${c.userId}`);
      mutate((d: ListDetail) => ({ ...d, collaborators: [...d.collaborators.filter((x) => x.userId !== c.userId), c] }));
    },
    [listId, markOwn, mutate],
  );

  const setPermission = useCallback(
    async (userId: string, permission: Permission) => {
      markOwn(`collaborator:${userId}`);
      try {
        const c = await api.setPermission(listId, userId, permission);
        mutate((d) => ({ ...d, collaborators: d.collaborators.map((x) => (x.userId === userId ? c : x)) }));
      } catch (err) {
        toastError(`The permission was not changed: ${errorText(err)}`);
        await reload();
      }
    },
    [listId, markOwn, mutate, reload, toastError],
  );

  const removeCollaborator = useCallback(
    async (userId: string) => {
      markOwn(`collaborator:${userId}`);
      try {
        await api.removeCollaborator(listId, userId);
        mutate((d) => ({ ...d, collaborators: d.collaborators.filter((x) => x.userId !== userId) }));
      } catch (err) {
        toastError(`The member was not removed: ${errorText(err)}`);
      }
    },
    [listId, markOwn, mutate, toastError],
  );

  const renameList = useCallback(
    async (name: string) => {
      markOwn("list");
      try {
        const l = await api.updateList(listId, { name });
        mutate((d) => ({ ...d, ...l, permission: d.permission, items: d.items, collaborators: d.collaborators, seq: d.seq }));
      } catch (err) {
        toastError(`The list was not renamed: ${errorText(err)}`);
      }
    },
    [listId, markOwn, mutate, toastError],
  );

  return { addItem, editItem, togglePurchased, deleteItem, moveItem, invite, setPermission, removeCollaborator, renameList };
}
