// ItemRow: one item, with purchase, edit (inline), reorder and delete.

import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import type { Item } from "../types";
import type { ItemPatch } from "../realtime/useListActions";

export interface ItemRowProps {
  item: Item;
  canEdit: boolean;
  isFirst: boolean;
  isLast: boolean;
  onToggle: () => void;
  // onSave gets the item as it was when editing began, so that a change
  // someone else saved meanwhile is a conflict (409), not overwritten.
  onSave: (base: Item, patch: ItemPatch) => void;
  onDelete: () => void;
  onMove: (delta: -1 | 1) => void;
}

export function ItemRow(props: ItemRowProps) {
  const { item, canEdit } = props;
  const [editing, setEditing] = useState(false);
  const [base, setBase] = useState<Item>(item);
  const [name, setName] = useState(item.name);
  const [quantity, setQuantity] = useState(String(item.quantity));
  const [unit, setUnit] = useState(item.unit ?? "");
  const nameInput = useRef<HTMLInputElement>(null);
  const pending = item.id.startsWith("tmp-");

  useEffect(() => {
    if (editing) {
      nameInput.current?.focus();
      nameInput.current?.select();
    }
  }, [editing]);

  const startEdit = () => {
    setName(item.name);
    setQuantity(String(item.quantity));
    setUnit(item.unit ?? "");
    setBase(item);
    setEditing(true);
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    const patch: ItemPatch = {};
    const n = name.trim();
    if (n && n !== base.name) patch.name = n;
    const q = Number(quantity);
    if (Number.isFinite(q) && q > 0 && q !== base.quantity) patch.quantity = q;
    if (unit.trim() !== (base.unit ?? "")) patch.unit = unit.trim();
    setEditing(false);
    if (Object.keys(patch).length > 0) props.onSave(base, patch);
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") setEditing(false);
  };

  return (
    <li
      className={`item${item.isPurchased ? " purchased" : ""}${pending ? " pending" : ""}`}
      data-testid="item"
      data-item-id={item.id}
      data-purchased={item.isPurchased ? "true" : "false"}
    >
      <input
        type="checkbox"
        className="item-check"
        data-testid="item-purchase"
        checked={item.isPurchased}
        disabled={!canEdit || pending}
        onChange={props.onToggle}
        aria-label={`${item.isPurchased ? "Bought" : "Not bought yet"}: ${item.name}`}
      />
      {editing ? (
        <form className="item-edit-form" onSubmit={save} onKeyDown={onKey}>
          <input
            ref={nameInput}
            data-testid="item-edit-name"
            aria-label="Item name"
            value={name}
            maxLength={200}
            onChange={(e) => setName(e.target.value)}
          />
          <input
            data-testid="item-edit-quantity"
            aria-label="Quantity"
            className="qty"
            type="number"
            min="0"
            step="any"
            value={quantity}
            onChange={(e) => setQuantity(e.target.value)}
          />
          <input
            data-testid="item-edit-unit"
            aria-label="Unit"
            className="unit"
            placeholder="unit"
            value={unit}
            maxLength={32}
            onChange={(e) => setUnit(e.target.value)}
          />
          <button type="submit" className="primary small-button" data-testid="item-edit-save">
            Save
          </button>
          <button type="button" className="small-button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="item-body">
          <span className="item-name" data-testid="item-name">
            {item.name}
          </span>
          <span className="item-meta muted small">
            {item.quantity !== 1 || item.unit ? `${item.quantity}${item.unit ? ` ${item.unit}` : ""}` : ""}
            {item.isPurchased && item.purchasedBy ? ` bought by ${item.purchasedBy.displayName}` : ""}
          </span>
        </div>
      )}
      {canEdit && !editing && (
        <div className="item-actions">
          <button
            type="button"
            className="icon-button"
            aria-label={`Move ${item.name} up`}
            disabled={props.isFirst || pending}
            onClick={() => props.onMove(-1)}
          >
            ↑
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={`Move ${item.name} down`}
            disabled={props.isLast || pending}
            onClick={() => props.onMove(1)}
          >
            ↓
          </button>
          <button type="button" className="small-button" data-testid="item-edit" disabled={pending} onClick={startEdit} aria-label={`Edit ${item.name}`}>
            Edit
          </button>
          <button
            type="button"
            className="small-button danger"
            data-testid="item-delete"
            disabled={pending}
            onClick={props.onDelete}
            aria-label={`Delete ${item.name}`}
          >
            Delete
          </button>
        </div>
      )}
    </li>
  );
}
