// useListRealtime keeps one list in sync with the server: it loads it over
// REST, joins its group on the hub (again after every reconnect, with
// afterSeq, applying `missed` or reloading when `reloadRequired`), applies
// each list event at most once and in seq order (a gap is buffered, and a gap
// that persists reloads the list), tracks who is here, and sends the
// presence heartbeat.

import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { ApiError, api } from "../api";
import type {
  AccessRevokedEvent,
  ActiveUser,
  ListDetail,
  ListEvent,
  PresenceUpdateEvent,
  UserJoinedEvent,
  UserLeftEvent,
} from "../types";
import { LIST_EVENT_TYPES } from "../types";
import { applyEvent, describeEvent, eventActor, eventSubject, sortItems } from "./listState";
import { EventSequencer } from "./sequencer";
import { useRealtime } from "./RealtimeContext";

// HEARTBEAT_MS is how often UpdatePresence is called (the contract's 30 s).
export const HEARTBEAT_MS = 30_000;
// GAP_WAIT_MS is how long a missing seq may stay missing before a reload.
const GAP_WAIT_MS = 3_000;
// OWN_CHANGE_MS is how long a request of ours explains an event without actor.
const OWN_CHANGE_MS = 15_000;

export type ListStatus = "loading" | "ready" | "notfound" | "error" | "revoked" | "deleted";

export interface ListRealtime {
  detail: ListDetail | null;
  status: ListStatus;
  message: string;
  presence: ActiveUser[];
  // mutate changes the local list at once (optimistic updates, REST answers).
  mutate: (fn: (d: ListDetail) => ListDetail) => void;
  // markOwn says the user is changing subject ("item:<id>", "list", ...),
  // so that the event it causes is not announced as someone else's.
  markOwn: (subject: string) => void;
  reload: () => Promise<void>;
  // lastSeq is the seq of the last event applied; loads counts REST loads
  // of the list (1 unless a reload was needed). Both are shown as data-*
  // attributes for tests.
  lastSeq: number;
  loads: number;
}

export function useListRealtime(
  listId: string,
  me: string,
  onRemoteChange: (text: string) => void,
): ListRealtime {
  const { hub, state, epoch } = useRealtime();
  const [, render] = useReducer((x: number) => x + 1, 0);
  const [status, setStatus] = useState<ListStatus>("loading");
  const [message, setMessage] = useState("");
  const [presence, setPresence] = useState<ActiveUser[]>([]);

  const detail = useRef<ListDetail | null>(null);
  const gapTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const own = useRef(new Map<string, number>());
  const loads = useRef(0);
  const joinedEpoch = useRef(-1);
  const alive = useRef(true);
  const notify = useRef(onRemoteChange);
  notify.current = onRemoteChange;

  const isMine = (ev: ListEvent): boolean => {
    const actor = eventActor(ev);
    if (actor) return actor.id === me;
    const until = own.current.get(eventSubject(ev));
    return until !== undefined && until > Date.now();
  };

  const apply = (ev: ListEvent) => {
    const before = detail.current!;
    let after = applyEvent(before, ev, me);
    const mine = isMine(ev);
    if (ev.eventType === "ItemAdded" && mine) {
      // Our own add came back before its REST answer: drop the placeholder.
      const tmp = after.items.find((i) => i.id.startsWith("tmp-") && i.name === ev.item.name);
      if (tmp) after = { ...after, items: after.items.filter((i) => i !== tmp), itemCount: after.itemCount - 1 };
    }
    detail.current = after;
    if (!mine) notify.current(describeEvent(ev, before));
    if (ev.eventType === "ListDeleted") {
      setStatus("deleted");
      setMessage("This list was deleted.");
    }
    if (ev.eventType === "CollaboratorRemoved" && ev.userId === me) {
      setStatus("revoked");
      setMessage("You were removed from this list.");
    }
  };

  const applyRef = useRef(apply);
  applyRef.current = apply;
  const seq = useRef<EventSequencer<ListEvent> | null>(null);
  if (!seq.current) seq.current = new EventSequencer<ListEvent>((ev) => applyRef.current(ev));
  const sequencer = seq.current;

  // reloadRef breaks the cycle receive → gap timer → load → receive.
  const reloadRef = useRef<() => Promise<void>>(async () => {});

  // settled runs after the sequencer applied events or buffered some: it
  // renders, and starts (or stops) the wait for a missing seq.
  const settled = (applied: number) => {
    if (!sequencer.hasGap) {
      clearTimeout(gapTimer.current);
      gapTimer.current = undefined;
    } else if (!gapTimer.current) {
      gapTimer.current = setTimeout(() => {
        gapTimer.current = undefined;
        if (sequencer.hasGap) void reloadRef.current();
      }, GAP_WAIT_MS);
    }
    if (applied > 0) render();
  };

  const receive = (ev: ListEvent) => {
    if (!ev || ev.listId !== listId) return;
    settled(sequencer.push(ev));
  };

  const load = useCallback(async () => {
    sequencer.hold();
    try {
      const d = await api.list(listId);
      if (!alive.current) return;
      detail.current = { ...d, items: sortItems(d.items ?? []), collaborators: d.collaborators ?? [] };
      loads.current++;
      setStatus((s) => (s === "loading" || s === "error" ? "ready" : s));
      settled(sequencer.reset(d.seq));
      render();
    } catch (err) {
      if (!alive.current) return;
      if (detail.current) settled(sequencer.reset(sequencer.lastSeq));
      if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
        setStatus("notfound");
        setMessage("This list does not exist or you are not a member of it.");
      } else if (!detail.current) {
        setStatus("error");
        setMessage(`The list could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [listId]);
  reloadRef.current = load;

  // Load once per list.
  useEffect(() => {
    alive.current = true;
    void load();
    return () => {
      alive.current = false;
      clearTimeout(gapTimer.current);
    };
  }, [load]);

  // A first load that failed (server down) is retried once the hub connects.
  useEffect(() => {
    if (state === "connected" && status === "error") void load();
  }, [state, status, load]);

  // Listen to the hub's events for this list.
  useEffect(() => {
    if (!hub) return;
    const offs = LIST_EVENT_TYPES.map((name) => hub.on(name, (ev: ListEvent) => receive(ev)));
    offs.push(
      hub.on("PresenceUpdate", (ev: PresenceUpdateEvent) => {
        if (ev.listId === listId) setPresence(ev.activeUsers ?? []);
      }),
      hub.on("UserJoined", (ev: UserJoinedEvent) => {
        if (ev.listId !== listId || !ev.user) return;
        setPresence((p) => [...p.filter((u) => u.id !== ev.user.id), ev.user]);
      }),
      hub.on("UserLeft", (ev: UserLeftEvent) => {
        if (ev.listId === listId) setPresence((p) => p.filter((u) => u.id !== ev.userId));
      }),
      hub.on("AccessRevoked", (ev: AccessRevokedEvent) => {
        if (ev.listId !== listId) return;
        setStatus("revoked");
        setMessage(ev.reason ? `Your access to this list ended: ${ev.reason}` : "Your access to this list ended.");
        setPresence([]);
      }),
    );
    return () => offs.forEach((off) => off());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hub, listId]);

  // Join (again) whenever the connection is new and the list is loaded.
  const ready = status === "ready";
  useEffect(() => {
    if (!hub || state !== "connected" || !ready || joinedEpoch.current === epoch) return;
    joinedEpoch.current = epoch;
    let cancelled = false;
    (async () => {
      try {
        const res = await hub.joinList(listId, sequencer.lastSeq);
        if (cancelled || !alive.current) return;
        if (res.reloadRequired) {
          await load();
          return;
        }
        for (const ev of res.missed ?? []) receive(ev);
        // Everything up to res.seq was in missed; if some is still lacking
        // and nothing waits in the buffer, only a reload can fill it.
        if (res.seq > sequencer.lastSeq && !sequencer.hasGap) await load();
      } catch (err) {
        if (cancelled || !alive.current) return;
        const text = err instanceof Error ? err.message : String(err);
        if (/access denied/i.test(text)) {
          setStatus("revoked");
          setMessage("You no longer have access to this list.");
        } else {
          // A failed join is retried with the next connection.
          joinedEpoch.current = -1;
        }
      }
    })();
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hub, state, epoch, ready, listId]);

  // Heartbeat while joined; leave the group when the page goes away.
  useEffect(() => {
    if (!hub || state !== "connected" || !ready) return;
    const t = setInterval(() => {
      hub.updatePresence(listId).catch(() => {});
    }, HEARTBEAT_MS);
    return () => clearInterval(t);
  }, [hub, state, ready, listId]);

  useEffect(() => {
    if (!hub) return;
    return () => {
      if (hub.getState() === "connected") hub.leaveList(listId).catch(() => {});
    };
  }, [hub, listId]);

  const mutate = useCallback((fn: (d: ListDetail) => ListDetail) => {
    if (!detail.current) return;
    detail.current = fn(detail.current);
    render();
  }, []);

  const markOwn = useCallback((subject: string) => {
    own.current.set(subject, Date.now() + OWN_CHANGE_MS);
  }, []);

  return {
    detail: detail.current,
    status,
    message,
    presence,
    mutate,
    markOwn,
    reload: load,
    lastSeq: sequencer.lastSeq,
    loads: loads.current,
  };
}
