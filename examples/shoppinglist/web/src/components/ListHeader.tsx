// ListHeader: the list's name and counts; the owner may rename or delete it
// (deleting asks once more, inline: no browser dialog).

import { useState, type FormEvent } from "react";
import type { ListDetail } from "../types";

export interface ListHeaderProps {
  detail: ListDetail;
  onRename: (name: string) => Promise<void>;
  onDelete: () => Promise<void>;
}

export function ListHeader(props: ListHeaderProps) {
  const { detail } = props;
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(detail.name);
  const [confirming, setConfirming] = useState(false);
  const isOwner = detail.permission === "Owner";
  const open = detail.items.filter((i) => !i.isPurchased).length;
  const role =
    detail.permission === "Owner" ? "the owner" : `${detail.permission === "Editor" ? "an" : "a"} ${detail.permission.toLowerCase()}`;

  const rename = async (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    setRenaming(false);
    if (n && n !== detail.name) await props.onRename(n);
  };

  return (
    <div className="list-title">
      {renaming ? (
        <form className="inline-form" onSubmit={rename} onKeyDown={(e) => e.key === "Escape" && setRenaming(false)}>
          <input
            aria-label="List name"
            data-testid="list-rename-name"
            value={name}
            maxLength={200}
            autoFocus
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit" className="primary small-button">
            Save
          </button>
          <button type="button" className="small-button" onClick={() => setRenaming(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <h1 data-testid="list-name">{detail.name}</h1>
      )}
      {detail.description && <p className="muted">{detail.description}</p>}
      <p className="muted small">
        {open} to buy · {detail.purchasedCount} bought · you are {role}
      </p>
      {isOwner && !renaming && (
        <p className="owner-actions">
          {confirming ? (
            <span role="group" aria-label="Confirm deletion">
              <span className="small">Delete this list for everyone? </span>
              <button type="button" className="small-button danger" data-testid="list-delete-confirm" onClick={() => void props.onDelete()}>
                Delete list
              </button>{" "}
              <button type="button" className="small-button" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <>
              <button
                type="button"
                className="link-button small"
                data-testid="list-rename"
                onClick={() => {
                  setName(detail.name);
                  setRenaming(true);
                }}
              >
                Rename
              </button>
              <button type="button" className="link-button small danger-link" data-testid="list-delete" onClick={() => setConfirming(true)}>
                Delete list
              </button>
            </>
          )}
        </p>
      )}
    </div>
  );
}
