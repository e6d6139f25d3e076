// client.mjs: what the conformance tests share besides the server: the
// [transport, protocol] combinations every hub case runs in, and helpers
// around the official @microsoft/signalr client.
//
// Environment:
//   SIGNALR_LOG  a signalR LogLevel name (e.g. "Debug", "Trace") to see the
//                client's own logs; default none.
//
// Side-effect free on import (see server.mjs).

import { HttpTransportType, HubConnectionBuilder, JsonHubProtocol, LogLevel } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

/**
 * Every hub case runs once per entry. Adding a transport the server has
 * learnt is one line here. MessagePack over ServerSentEvents does not exist
 * (SSE is text only), so it has no entry.
 */
export const COMBOS = [
    ["WebSockets", "json"],
    ["WebSockets", "messagepack"],
    ["ServerSentEvents", "json"],
    ["LongPolling", "json"],
    ["LongPolling", "messagepack"],
];

/** The transports of COMBOS, each once. */
export const TRANSPORTS = [...new Set(COMBOS.map(([t]) => t))];

/** Cases that only exist for some transports (skipNegotiation) look here. */
export const transportType = (name) => HttpTransportType[name];

export function newProtocol(name) {
    switch (name) {
        case "json":
            return new JsonHubProtocol();
        case "messagepack":
            return new MessagePackHubProtocol();
    }
    throw new Error(`unknown protocol ${name}`);
}

export const logLevel = process.env.SIGNALR_LOG ? LogLevel[process.env.SIGNALR_LOG] : LogLevel.None;

/**
 * A HubConnectionBuilder for url with the combo's transport and protocol.
 * @param {string} url
 * @param {[string, string]} combo [transport, protocol]
 * @param {object} [options] more IHttpConnectionOptions
 */
export function builder(url, [transport, protocol], options = {}) {
    return new HubConnectionBuilder()
        .configureLogging(logLevel)
        .withUrl(url, { transport: HttpTransportType[transport], ...options })
        .withHubProtocol(newProtocol(protocol));
}

/**
 * Builds, starts and returns a connection that the test context stops when
 * the test ends. configure(b) may adjust the builder; before(c) runs before
 * start (to register handlers).
 */
export async function connect(t, url, combo, { options, configure, before } = {}) {
    let b = builder(url, combo, options);
    if (configure) {
        b = configure(b) || b;
    }
    const connection = b.build();
    t.after(() => connection.stop());
    if (before) {
        before(connection);
    }
    await connection.start();
    return connection;
}

/** A promise with its resolve and reject exposed. */
export function deferred() {
    let resolve, reject;
    const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
}

/** Rejects when p has not settled within ms, naming what was awaited. */
export function within(p, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the error p rejects with; fails when p resolves. */
export async function rejection(p) {
    let value;
    try {
        value = await p;
    } catch (e) {
        return e;
    }
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
}

/** Collects a stream subscription's items; resolves on complete, rejects on error. */
export function collect(streamResult) {
    const items = [];
    const done = deferred();
    const subscription = streamResult.subscribe({
        next: (item) => items.push(item),
        complete: () => done.resolve(items),
        error: (err) => {
            err.items = items;
            done.reject(err);
        },
    });
    return { items, subscription, promise: done.promise };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
