// server.mjs: starts bin/shoppinglist on a free port with a fresh SQLite
// file, and small REST helpers. The binary comes from SHOPPINGLIST_BIN, or
// bin/shoppinglist at the repository's root, built with `go build` when it
// is missing (make test builds it first, the page included).

import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const moduleDir = path.resolve(here, "..");
const repoRoot = path.resolve(moduleDir, "../..");

export const SECRET = "test-secret-0123456789-0123456789-abcdef";

function binary() {
    const bin = process.env.SHOPPINGLIST_BIN || path.join(repoRoot, "bin", "shoppinglist");
    if (!existsSync(bin)) {
        execFileSync("go", ["build", "-o", bin, "."], { cwd: moduleDir, stdio: "inherit" });
    }
    return bin;
}

/**
 * Starts a server and resolves when it prints its address.
 * @param {{args?: string[], db?: string}} [opts]
 * @returns {Promise<{url: string, db: string, proc: import("node:child_process").ChildProcess, stop: () => Promise<number|null>, logs: () => string}>}
 */
export async function startServer(opts = {}) {
    const dir = mkdtempSync(path.join(tmpdir(), "shoppinglist-test-"));
    const db = opts.db || path.join(dir, "test.db");
    const proc = spawn(binary(), ["-addr", "127.0.0.1:0", "-db", db, "-jwt-secret", SECRET, "-log-level", "warn", ...(opts.args || [])], {
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (d) => { stderr += d; });
    const url = await new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error("server did not start: " + stderr)), 30000);
        proc.stdout.on("data", (d) => {
            out += d;
            const m = /listening on (http:\/\/\S+)/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve(m[1]);
            }
        });
        proc.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`server exited with ${code}: ${stderr}`));
        });
    });
    const exited = new Promise((resolve) => proc.on("exit", (code) => resolve(code)));
    return {
        url, db, proc,
        logs: () => stderr,
        async stop(signal = "SIGTERM") {
            if (proc.exitCode === null) {
                proc.kill(signal);
            }
            const code = await exited;
            if (!opts.db) {
                rmSync(dir, { recursive: true, force: true });
            }
            return code;
        },
    };
}

/** Sends a JSON request; resolves {status, body}. */
export async function api(url, token, method, route, body) {
    const headers = { "content-type": "application/json" };
    if (token) {
        headers.authorization = `Bearer ${token}`;
    }
    const res = await fetch(url + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
}

let counter = 0;

/** Registers a new user; resolves {token, user}. */
export async function register(url, name) {
    counter++;
    const email = `${name.toLowerCase()}-${process.pid}-${counter}-${Date.now()}@example.com`;
    const res = await api(url, null, "POST", "/api/auth/register", { email, password: "password-123", displayName: name });
    if (res.status !== 201) {
        throw new Error(`register ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body;
}

/** An owner, a list and, for each other name, a collaborator with perm. */
export async function sharedList(url, others = [], perm = "Editor") {
    const owner = await register(url, "Ann");
    const list = (await api(url, owner.token, "POST", "/api/lists", { name: "Groceries" })).body;
    const users = [];
    for (const name of others) {
        const u = await register(url, name);
        const res = await api(url, owner.token, "POST", `/api/lists/${list.id}/collaborators`, { email: u.user.email, permission: perm });
        if (res.status !== 201) {
            throw new Error(`invite: ${res.status} ${JSON.stringify(res.body)}`);
        }
        users.push(u);
    }
    return { owner, list, users };
}
