// ListsPage: the lists the user can see, and a form to create one. The page
// refreshes while it is shown, so a list someone shares appears by itself.

import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, errorText } from "../api";
import { Link } from "../router";
import type { ShoppingList } from "../types";

const REFRESH_MS = 5000;

export function ListsPage() {
  const [lists, setLists] = useState<ShoppingList[] | null>(null);
  const [error, setError] = useState("");
  const [name, setName] = useState("");
  const [createError, setCreateError] = useState("");
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    try {
      setLists(await api.lists());
      setError("");
    } catch (err) {
      setError(errorText(err));
    }
  }, []);

  useEffect(() => {
    void refresh();
    const t = setInterval(() => {
      if (document.visibilityState === "visible") void refresh();
    }, REFRESH_MS);
    const onFocus = () => void refresh();
    window.addEventListener("focus", onFocus);
    return () => {
      clearInterval(t);
      window.removeEventListener("focus", onFocus);
    };
  }, [refresh]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setCreateError("Give the list a name.");
      return;
    }
    setBusy(true);
    setCreateError("");
    try {
      const list = await api.createList(trimmed);
      setLists((ls) => [list, ...(ls ?? []).filter((l) => l.id !== list.id)]);
      setName("");
    } catch (err) {
      setCreateError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="lists">
      <h1>Your lists</h1>
      <form className="inline-form card" onSubmit={create}>
        <label className="grow">
          <span className="visually-hidden">New list name</span>
          <input
            data-testid="new-list-name"
            placeholder="New list, e.g. Weekend groceries"
            value={name}
            maxLength={200}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" data-testid="new-list-submit" disabled={busy}>
          Create list
        </button>
      </form>
      {createError && (
        <p className="form-error" role="alert">
          {createError}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {lists === null && !error && <p className="muted">Loading…</p>}
      {lists !== null && lists.length === 0 && <p className="muted">No lists yet: create one above.</p>}
      {lists !== null && lists.length > 0 && (
        <ul className="list-cards">
          {lists.map((l) => (
            <li key={l.id} className="card list-card">
              <Link href={`/lists/${l.id}`} data-testid="list-link" className="list-link">
                {l.name}
              </Link>
              <span className="muted small">
                {l.purchasedCount}/{l.itemCount} bought · {l.permission}
              </span>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
