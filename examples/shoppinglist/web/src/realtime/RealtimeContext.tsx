// The realtime context: one hub connection for the signed-in user, started
// at sign-in and stopped at sign-out, and its state for every component.

import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { getSession } from "../session";
import { ShoppingListHub, type ConnectionState } from "../services/signalr";

export interface Realtime {
  hub: ShoppingListHub | null;
  state: ConnectionState;
  // epoch grows by one each time the connection (re)connects.
  epoch: number;
  reconnect: () => void;
}

const RealtimeContext = createContext<Realtime>({
  hub: null,
  state: "offline",
  epoch: 0,
  reconnect: () => {},
});

export function RealtimeProvider(props: { token: string | null; children: ReactNode }) {
  const { token } = props;
  const [value, setValue] = useState<Realtime>({ hub: null, state: "offline", epoch: 0, reconnect: () => {} });

  useEffect(() => {
    if (!token) {
      setValue({ hub: null, state: "offline", epoch: 0, reconnect: () => {} });
      return;
    }
    // The factory reads the session each time, so a renewed token is used by
    // the next reconnect.
    const hub = new ShoppingListHub(() => getSession()?.token ?? "");
    const reconnect = () => hub.reconnect();
    const unsubscribe = hub.subscribe((state, epoch) => setValue({ hub, state, epoch, reconnect }));
    setValue({ hub, state: hub.getState(), epoch: hub.getEpoch(), reconnect });
    hub.start();
    return () => {
      unsubscribe();
      void hub.stop();
    };
  }, [token]);

  return <RealtimeContext.Provider value={value}>{props.children}</RealtimeContext.Provider>;
}

export function useRealtime(): Realtime {
  return useContext(RealtimeContext);
}
