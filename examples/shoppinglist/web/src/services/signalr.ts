// The SignalR service module: one HubConnection to /hubs/shopping-list with
// the contract's reconnect policy (1, 2, 5, 10 and 30 s, then offline), the
// hub methods as typed functions, and a simple state the page can show.
//
// JSON is the default protocol; ?protocol=messagepack selects MessagePack and
// ?transport=websockets|sse|longpolling pins a transport. Both are read once
// when the page loads and kept for the tab's session.

import {
  HttpTransportType,
  HubConnection,
  HubConnectionBuilder,
  HubConnectionState,
  LogLevel,
} from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import type { JoinListResult } from "../types";

export const HUB_PATH = "/hubs/shopping-list";

// RECONNECT_DELAYS_MS is the contract's reconnect schedule.
export const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10000, 30000];

export type ConnectionState = "connected" | "reconnecting" | "offline";

function sticky(name: string): string | null {
  const fromUrl = new URLSearchParams(location.search).get(name);
  try {
    if (fromUrl) sessionStorage.setItem(`shoppinglist.${name}`, fromUrl);
    return fromUrl ?? sessionStorage.getItem(`shoppinglist.${name}`);
  } catch {
    return fromUrl;
  }
}

// Read when the page loads: the hub connects only after signing in, when
// the URL that carried the choice is long gone.
const protocolChoice = (sticky("protocol") || "").toLowerCase();
const transportChoice = (sticky("transport") || "").toLowerCase();

export function selectedProtocol(): "json" | "messagepack" {
  return protocolChoice === "messagepack" || protocolChoice === "msgpack" ? "messagepack" : "json";
}

function selectedTransport(): HttpTransportType | undefined {
  switch (transportChoice) {
    case "websockets":
      return HttpTransportType.WebSockets;
    case "sse":
    case "serversentevents":
      return HttpTransportType.ServerSentEvents;
    case "longpolling":
      return HttpTransportType.LongPolling;
    default:
      return undefined;
  }
}

type StateListener = (state: ConnectionState, epoch: number) => void;

// ShoppingListHub owns the connection. epoch grows by one each time the
// connection becomes connected (first start, automatic or manual reconnect):
// whoever joined lists joins them again when it changes, because a new
// connection is in no group.
export class ShoppingListHub {
  private readonly connection: HubConnection;
  private state: ConnectionState = "reconnecting";
  private epoch = 0;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<StateListener>();
  // protocol is the hub protocol in use: "json" or "messagepack".
  readonly protocol = selectedProtocol();

  constructor(getToken: () => string) {
    const builder = new HubConnectionBuilder()
      .withUrl(HUB_PATH, {
        accessTokenFactory: getToken,
        transport: selectedTransport(),
      })
      .withAutomaticReconnect(RECONNECT_DELAYS_MS)
      .configureLogging(LogLevel.Warning);
    if (this.protocol === "messagepack") builder.withHubProtocol(new MessagePackHubProtocol());
    this.connection = builder.build();
    this.connection.onreconnecting(() => this.setState("reconnecting"));
    this.connection.onreconnected(() => this.connected());
    this.connection.onclose(() => {
      if (!this.stopped) this.setState("offline");
    });
  }

  getState(): ConnectionState {
    return this.state;
  }

  getEpoch(): number {
    return this.epoch;
  }

  subscribe(l: StateListener): () => void {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }

  // start connects, retrying on the same schedule as an automatic reconnect
  // (the official client only retries a connection that was up once).
  start(): void {
    this.stopped = false;
    void this.attempt(0);
  }

  // reconnect is the reconnect button: one attempt now, offline again if it
  // fails.
  reconnect(): void {
    if (this.connection.state !== HubConnectionState.Disconnected) return;
    clearTimeout(this.retryTimer);
    this.stopped = false;
    void this.attempt(RECONNECT_DELAYS_MS.length);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.connection.stop();
  }

  on(event: string, handler: (payload: never) => void): () => void {
    const h = handler as (...args: unknown[]) => void;
    this.connection.on(event, h);
    return () => this.connection.off(event, h);
  }

  joinList(listId: string, afterSeq?: number): Promise<JoinListResult> {
    return afterSeq === undefined
      ? this.connection.invoke<JoinListResult>("JoinList", listId)
      : this.connection.invoke<JoinListResult>("JoinList", listId, afterSeq);
  }

  leaveList(listId: string): Promise<void> {
    return this.connection.invoke("LeaveList", listId);
  }

  updatePresence(listId: string): Promise<void> {
    return this.connection.invoke("UpdatePresence", listId);
  }

  private async attempt(failures: number): Promise<void> {
    if (this.stopped) return;
    this.setState("reconnecting");
    try {
      await this.connection.start();
    } catch {
      if (this.stopped) return;
      if (failures >= RECONNECT_DELAYS_MS.length) {
        this.setState("offline");
        return;
      }
      this.retryTimer = setTimeout(() => void this.attempt(failures + 1), RECONNECT_DELAYS_MS[failures]);
      return;
    }
    if (this.stopped) {
      await this.connection.stop();
      return;
    }
    this.connected();
  }

  private connected(): void {
    this.epoch++;
    this.setState("connected");
  }

  private setState(s: ConnectionState): void {
    if (s === this.state && s !== "connected") return;
    this.state = s;
    this.listeners.forEach((l) => l(s, this.epoch));
  }
}
