// ListPage: one list, live: its items, who is here, its members.

import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, errorText } from "../api";
import { Collaborators } from "../components/Collaborators";
import { ItemRow } from "../components/ItemRow";
import { ListHeader } from "../components/ListHeader";
import { Presence } from "../components/Presence";
import { useToasts } from "../components/Toasts";
import { useListActions } from "../realtime/useListActions";
import { useListRealtime } from "../realtime/useListRealtime";
import { Link, navigate } from "../router";
import type { User } from "../types";

export function ListPage(props: { listId: string; me: User }) {
  const { listId, me } = props;
  const toasts = useToasts();
  const onRemoteChange = useCallback((text: string) => toasts.change(text), [toasts]);
  const rt = useListRealtime(listId, me.id, onRemoteChange);
  const actions = useListActions(listId, me, rt, toasts.error);
  const [newName, setNewName] = useState("");

  const { detail, status, message } = rt;
  const title = detail?.name;
  useEffect(() => {
    document.title = title ? `${title} · Shopping lists` : "Shopping lists";
    return () => {
      document.title = "Shopping lists";
    };
  }, [title]);

  if (status === "loading" && !detail) return <main className="muted">Loading…</main>;
  if (status !== "ready" || !detail) {
    return (
      <main>
        <div className="card">
          <p role="alert">{message || "This list cannot be shown."}</p>
          {status === "error" && (
            <p>
              <button type="button" onClick={() => void rt.reload()}>
                Try again
              </button>
            </p>
          )}
          <p>
            <Link href="/lists">Back to your lists</Link>
          </p>
        </div>
      </main>
    );
  }

  const canEdit = detail.permission === "Owner" || detail.permission === "Editor";
  const isOwner = detail.permission === "Owner";
  const items = detail.items;

  const add = (e: FormEvent) => {
    e.preventDefault();
    const name = newName.trim();
    if (!name) return;
    setNewName("");
    void actions.addItem(name);
  };

  const deleteList = async () => {
    try {
      await api.deleteList(listId);
      navigate("/lists");
    } catch (err) {
      toasts.error(`The list was not deleted: ${errorText(err)}`);
    }
  };

  const remove = async (userId: string) => {
    await actions.removeCollaborator(userId);
    if (userId === me.id) navigate("/lists");
  };

  return (
    <main className="list-page" data-testid="list-view" data-list-id={listId} data-seq={rt.lastSeq} data-loads={rt.loads}>
      <div className="list-main">
        <p className="breadcrumb">
          <Link href="/lists">← Your lists</Link>
        </p>
        <header className="list-header">
          <ListHeader detail={detail} onRename={actions.renameList} onDelete={deleteList} />
          <Presence users={rt.presence} me={me.id} />
        </header>

        {canEdit && (
          <form className="inline-form card" onSubmit={add}>
            <label className="grow">
              <span className="visually-hidden">New item</span>
              <input
                data-testid="new-item-name"
                placeholder="Add an item, e.g. Milk"
                value={newName}
                maxLength={200}
                onChange={(e) => setNewName(e.target.value)}
              />
            </label>
            <button type="submit" className="primary" data-testid="new-item-submit">
              Add
            </button>
          </form>
        )}

        {items.length === 0 ? (
          <p className="muted empty">Nothing on this list yet.</p>
        ) : (
          <ul className="items card" aria-label="Items">
            {items.map((item, index) => (
              <ItemRow
                key={item.id}
                item={item}
                canEdit={canEdit}
                isFirst={index === 0}
                isLast={index === items.length - 1}
                onToggle={() => void actions.togglePurchased(item)}
                onSave={(base, patch) => void actions.editItem(base, patch)}
                onDelete={() => void actions.deleteItem(item)}
                onMove={(delta) => void actions.moveItem(items, index, delta)}
              />
            ))}
          </ul>
        )}
      </div>
      <aside className="list-side">
        <Collaborators
          collaborators={detail.collaborators}
          ownerId={detail.ownerId}
          me={me.id}
          isOwner={isOwner}
          onInvite={actions.invite}
          onPermission={(u, p) => void actions.setPermission(u, p)}
          onRemove={(u) => void remove(u)}
        />
      </aside>
    </main>
  );
}
