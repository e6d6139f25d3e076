// The browser tests' harness: starts the real server binary on a free port
// (SHOPPINGLIST_BIN, default bin/shoppinglist at the repository root) and
// Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) headless.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = path.resolve(webDir, "../../..");

export function serverBinary() {
  const bin = process.env.SHOPPINGLIST_BIN || path.join(repoRoot, "bin/shoppinglist");
  if (!existsSync(bin)) {
    throw new Error(`no server binary at ${bin}: run \`make build\` at the repository root (or set SHOPPINGLIST_BIN)`);
  }
  return bin;
}

// newDataDir makes a temporary folder for the database; remove() deletes it.
export async function newDataDir() {
  const dir = await mkdtemp(path.join(tmpdir(), "shoppinglist-browser-"));
  return { dir, db: path.join(dir, "shoppinglist.db"), remove: () => rm(dir, { recursive: true, force: true }) };
}

export const jwtSecret = () => randomBytes(32).toString("hex");

// startServer runs the binary and resolves once it printed its
// "listening on http://HOST:PORT" line. addr defaults to 127.0.0.1:0.
export function startServer({ db, secret, addr = "127.0.0.1:0" }) {
  const proc = spawn(serverBinary(), ["-addr", addr, "-db", db, "-jwt-secret", secret], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SHOPPINGLIST_LOG_LEVEL: process.env.SHOPPINGLIST_LOG_LEVEL || "warn" },
  });
  const log = [];
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`server did not say "listening on" within 60 s; output:\n${log.join("")}`));
    }, 60_000);
    proc.stderr.on("data", (b) => {
      log.push(b.toString());
      if (log.length > 400) log.splice(0, log.length - 400);
    });
    proc.stdout.on("data", (b) => {
      const s = b.toString();
      log.push(s);
      out += s;
      const m = /listening on (http:\/\/[^\s]+?:(\d+))/.exec(out);
      if (m) {
        clearTimeout(timer);
        out = "";
        resolve({
          url: m[1].replace(/\/$/, ""),
          port: Number(m[2]),
          log,
          exited,
          // stop sends SIGTERM and waits for the exit (SIGKILL after 20 s).
          stop: async () => {
            if (proc.exitCode !== null || proc.signalCode !== null) return exited;
            proc.kill("SIGTERM");
            const t = setTimeout(() => proc.kill("SIGKILL"), 20_000);
            const r = await exited;
            clearTimeout(t);
            return r;
          },
        });
      }
    });
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening; output:\n${log.join("")}`));
    });
  });
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
  });
}

// rest calls the server's REST API directly (for setup and for changes made
// while the pages are disconnected).
export async function rest(baseUrl, method, route, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(baseUrl + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// watchPage records dialogs (none may open), page errors, and the hub
// methods that the page invokes over WebSockets with the JSON protocol.
export function watchPage(page) {
  const seen = { dialogs: [], errors: [], invoked: [] };
  page.on("websocket", (ws) =>
    ws.on("framesent", (f) => {
      if (typeof f.payload !== "string") return;
      for (const m of f.payload.matchAll(/"type":1,[^\x1e]*?"target":"(\w+)"|"target":"(\w+)"[^\x1e]*?"type":1/g)) {
        seen.invoked.push(m[1] ?? m[2]);
      }
    }),
  );
  page.on("dialog", (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => {});
  });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  return seen;
}

// waitUntil polls cond every 200 ms until it holds or timeoutMs passes.
export async function waitUntil(cond, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// recordToasts makes every page of context keep the text of each toast that
// appears, in window.__toasts, so a test can check a toast that is already
// gone (toasts disappear after a few seconds; the machine may be slow).
export async function recordToasts(context) {
  await context.addInitScript(() => {
    window.__toasts = [];
    const seen = new WeakSet();
    const scan = (node) => {
      if (!(node instanceof Element)) return;
      const found = node.matches('[data-testid="toast"]') ? [node] : [...node.querySelectorAll('[data-testid="toast"]')];
      for (const t of found) {
        if (seen.has(t)) continue;
        seen.add(t);
        window.__toasts.push(t.textContent);
      }
    };
    new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(scan))).observe(document, {
      childList: true,
      subtree: true,
    });
  });
}
