// Collaborators: the list's members; the owner invites by email, changes
// permissions and removes members; anyone may leave.

import { useState, type FormEvent } from "react";
import { errorText } from "../api";
import type { Collaborator, Permission } from "../types";
import { Avatar } from "./Presence";

export interface CollaboratorsProps {
  collaborators: Collaborator[];
  ownerId: string;
  me: string;
  isOwner: boolean;
  onInvite: (email: string, permission: Permission) => Promise<void>;
  onPermission: (userId: string, permission: Permission) => void;
  onRemove: (userId: string) => void;
}

export function Collaborators(props: CollaboratorsProps) {
  const [email, setEmail] = useState("");
  const [permission, setPermission] = useState<Permission>("Editor");
  const [error, setError] = useState("");
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);

  const invite = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    setDone("");
    setBusy(true);
    try {
      await props.onInvite(email.trim(), permission);
      setDone(`Invited ${email.trim()}.`);
      setEmail("");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card collaborators" aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <ul>
        {props.collaborators.map((c) => (
          <li key={c.userId} data-testid="collaborator" data-user-id={c.userId}>
            <Avatar id={c.userId} name={c.displayName} avatarUrl={c.avatarUrl} />
            <span className="grow">
              <span className="member-name">{c.displayName}</span>
              <span className="muted small member-email" title={c.email}>
                {c.email}
              </span>
            </span>
            {props.isOwner && c.userId !== props.ownerId ? (
              <select
                aria-label={`Permission of ${c.displayName}`}
                value={c.permission}
                onChange={(e) => props.onPermission(c.userId, e.target.value as Permission)}
              >
                <option value="Editor">Editor</option>
                <option value="Viewer">Viewer</option>
              </select>
            ) : (
              <span className="badge">{c.permission}</span>
            )}
            {c.userId !== props.ownerId && (props.isOwner || c.userId === props.me) && (
              <button
                type="button"
                className="icon-button"
                aria-label={c.userId === props.me ? "Leave this list" : `Remove ${c.displayName}`}
                onClick={() => props.onRemove(c.userId)}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {props.isOwner && (
        <form className="invite" onSubmit={invite}>
          <label>
            Invite by email
            <input
              data-testid="invite-email"
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              placeholder="friend@example.com"
              required
            />
          </label>
          <div className="inline-form">
            <select
              data-testid="invite-permission"
              aria-label="Permission"
              value={permission}
              onChange={(e) => setPermission(e.target.value as Permission)}
            >
              <option value="Editor">Editor</option>
              <option value="Viewer">Viewer</option>
            </select>
            <button type="submit" className="primary" data-testid="invite-submit" disabled={busy}>
              Invite
            </button>
          </div>
          {error && (
            <p className="form-error" role="alert" data-testid="invite-error">
              {error}
            </p>
          )}
          {done && (
            <p className="form-ok" role="status">
              {done}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
