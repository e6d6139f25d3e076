// Toasts: short notes about other people's changes (data-testid="toast") and
// messages about the user's own refused changes (data-testid="notice").
// Text only, never HTML.

import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";

type Kind = "change" | "error" | "info";

interface Toast {
  id: number;
  kind: Kind;
  text: string;
}

interface Toaster {
  change: (text: string) => void;
  error: (text: string) => void;
  info: (text: string) => void;
}

const MAX_VISIBLE = 5;
const LIFETIME_MS = { change: 8000, info: 8000, error: 12000 };

const ToastContext = createContext<Toaster>({ change: () => {}, error: () => {}, info: () => {} });

export function ToastProvider(props: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);

  const push = useCallback(
    (kind: Kind, text: string) => {
      const id = nextId.current++;
      setToasts((ts) => [...ts, { id, kind, text }].slice(-MAX_VISIBLE));
      setTimeout(() => dismiss(id), LIFETIME_MS[kind]);
    },
    [dismiss],
  );

  const toaster = useMemo<Toaster>(
    () => ({
      change: (t) => push("change", t),
      error: (t) => push("error", t),
      info: (t) => push("info", t),
    }),
    [push],
  );

  return (
    <ToastContext.Provider value={toaster}>
      {props.children}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div
            key={t.id}
            className={`toast toast-${t.kind}`}
            role={t.kind === "error" ? "alert" : "status"}
            data-testid={t.kind === "change" ? "toast" : "notice"}
          >
            <span>{t.text}</span>
            <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToasts(): Toaster {
  return useContext(ToastContext);
}
