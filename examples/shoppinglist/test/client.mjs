// client.mjs: the official client in every transport and protocol, and a
// recorder of the events a connection receives.

import { HttpTransportType, HubConnectionBuilder, JsonHubProtocol, LogLevel } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

/** Every hub case runs once per entry (MessagePack over SSE does not exist). */
export const COMBOS = [
    ["WebSockets", "json"],
    ["WebSockets", "messagepack"],
    ["ServerSentEvents", "json"],
    ["LongPolling", "json"],
    ["LongPolling", "messagepack"],
];

export const EVENTS = [
    "ItemAdded", "ItemUpdated", "ItemDeleted", "ItemPurchasedStatusChanged", "ListUpdated", "ListDeleted",
    "CollaboratorAdded", "CollaboratorPermissionChanged", "CollaboratorRemoved",
    "UserJoined", "UserLeft", "PresenceUpdate", "AccessRevoked",
];

/**
 * Connects with the combo and records every event. t.after stops it.
 * @returns {Promise<{conn: import("@microsoft/signalr").HubConnection, events: any[], next: (name: string, pred?: (p: any) => boolean) => Promise<any>}>}
 */
export async function connect(t, url, token, [transport, protocol]) {
    const conn = new HubConnectionBuilder()
        .configureLogging(process.env.SIGNALR_LOG ? LogLevel[process.env.SIGNALR_LOG] : LogLevel.None)
        .withUrl(url + "/hubs/shopping-list", { transport: HttpTransportType[transport], accessTokenFactory: () => token })
        .withHubProtocol(protocol === "json" ? new JsonHubProtocol() : new MessagePackHubProtocol())
        .build();
    const events = [];
    const waiters = [];
    for (const name of EVENTS) {
        conn.on(name, (payload) => {
            events.push({ name, payload });
            for (const w of [...waiters]) {
                if (w.name === name && w.pred(payload)) {
                    waiters.splice(waiters.indexOf(w), 1);
                    w.resolve(payload);
                }
            }
        });
    }
    await conn.start();
    t.after(() => conn.stop());
    /** Resolves with the first event name (already received or not) that pred accepts. */
    const next = (name, pred = () => true, timeoutMs = 20000) => {
        const seen = events.find((e) => e.name === name && pred(e.payload) && !e.taken);
        if (seen) {
            seen.taken = true;
            return Promise.resolve(seen.payload);
        }
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no ${name} within ${timeoutMs} ms; got ${events.map((e) => e.name).join(",")}`)), timeoutMs);
            waiters.push({
                name, pred, resolve: (p) => {
                    clearTimeout(timer);
                    const e = events.find((x) => x.payload === p);
                    if (e) {
                        e.taken = true;
                    }
                    resolve(p);
                },
            });
        });
    };
    return { conn, events, next };
}
