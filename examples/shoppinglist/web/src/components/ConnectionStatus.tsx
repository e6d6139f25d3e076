// ConnectionStatus shows the hub connection's state (connected, reconnecting,
// offline) and, when offline, a button that reconnects now.

import { useRealtime } from "../realtime/RealtimeContext";

const LABELS = { connected: "Live", reconnecting: "Reconnecting…", offline: "Offline" };

export function ConnectionStatus() {
  const { hub, state, reconnect } = useRealtime();
  if (!hub) return null;
  return (
    <div
      className={`connection connection-${state}`}
      data-testid="connection-status"
      data-state={state}
      data-protocol={hub.protocol}
      role="status"
    >
      <span className="connection-dot" aria-hidden="true" />
      <span>{LABELS[state]}</span>
      {state === "offline" && (
        <button type="button" className="link-button" data-testid="reconnect" onClick={reconnect}>
          Reconnect
        </button>
      )}
    </div>
  );
}
