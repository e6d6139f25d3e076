// Presence: who is looking at this list right now, as initials.

import type { ActiveUser } from "../types";

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] ?? "?").slice(0, 2);
  return letters.toUpperCase();
}

const COLORS = ["#2563eb", "#16a34a", "#c2410c", "#9333ea", "#0891b2", "#be123c", "#4d7c0f", "#a16207"];

function color(id: string): string {
  let h = 2166136261; // FNV-1a
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return COLORS[h % COLORS.length];
}

export function Avatar(props: { id: string; name: string; avatarUrl?: string | null }) {
  const safeUrl = props.avatarUrl && /^https?:\/\//i.test(props.avatarUrl) ? props.avatarUrl : null;
  return safeUrl ? (
    <img className="avatar" src={safeUrl} alt="" />
  ) : (
    <span className="avatar" style={{ background: color(props.id) }} aria-hidden="true">
      {initials(props.name)}
    </span>
  );
}

export function Presence(props: { users: ActiveUser[]; me: string }) {
  const users = [...props.users].sort((a, b) => (a.id === props.me ? -1 : b.id === props.me ? 1 : a.displayName.localeCompare(b.displayName)));
  if (users.length === 0) return null;
  return (
    <section className="presence" aria-label="Here now">
      <span className="muted small">Here now</span>
      <ul>
        {users.map((u) => (
          <li key={u.id} data-testid="presence-user" data-user-id={u.id} title={u.displayName}>
            <Avatar id={u.id} name={u.displayName} avatarUrl={u.avatarUrl} />
            <span className="presence-name">
              {u.displayName}
              {u.id === props.me ? " (you)" : ""}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
