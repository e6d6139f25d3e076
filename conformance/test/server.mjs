// server.mjs builds the conformance test server (conformance/testserver) and
// runs it for a test file: startTestServer() builds the binary, starts it on a
// free port, waits for its ready line and returns its URLs; stop() ends it
// with SIGTERM (a graceful shutdown) and resolves with its exit status.
//
// Environment:
//   LISTHUB_TESTSERVER_BIN  use this prebuilt binary instead of building one
//   LISTHUB_TESTSERVER_LOG  "1": pass the server's stderr through (-v logging)
//
// This module has no side effects on import, so a test runner that loads it
// as a test file (node --test <dir> does) finds nothing to run.

import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The repository root (this file is conformance/test/server.mjs). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const readyPrefix = "listhub testserver ready: ";
const listeningPrefix = "Now listening on: ";
const startTimeoutMs = 120_000;
const stopTimeoutMs = 15_000;

let built; // Promise<{bin, cleanup}>, one build per process

/** Builds the test server once per process; resolves with the binary's path. */
export function buildTestServer() {
    if (!built) {
        built = (async () => {
            if (process.env.LISTHUB_TESTSERVER_BIN) {
                return process.env.LISTHUB_TESTSERVER_BIN;
            }
            const dir = mkdtempSync(path.join(tmpdir(), "listhub-testserver-"));
            process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
            const bin = path.join(dir, process.platform === "win32" ? "testserver.exe" : "testserver");
            try {
                await promisify(execFile)("go", ["build", "-o", bin, "./conformance/testserver"], {
                    cwd: repoRoot,
                    maxBuffer: 16 << 20,
                });
            } catch (e) {
                throw new Error(`go build ./conformance/testserver failed:\n${e.stderr || e.message}`);
            }
            return bin;
        })();
    }
    return built;
}

/**
 * Starts a test server on 127.0.0.1 with a free port.
 * @param {{https?: boolean, args?: string[]}} [options] https: also listen on
 *   HTTPS (self-signed); args: more testserver flags
 * @returns {Promise<{url: string, httpsUrl?: string, urls: string[], stderr: () => string, stop: (signal?: string) => Promise<{code: number|null, signal: string|null}>}>}
 */
export async function startTestServer(options = {}) {
    const bin = await buildTestServer();
    const args = ["-addr", "127.0.0.1:0"];
    if (options.https) {
        args.push("-https-addr", "127.0.0.1:0");
    }
    args.push(...(options.args ?? []));
    const verbose = process.env.LISTHUB_TESTSERVER_LOG === "1";
    if (verbose) {
        args.push("-v");
    }
    const child = spawn(bin, args, { cwd: repoRoot, stdio: ["ignore", "pipe", verbose ? "inherit" : "pipe"] });
    let stderr = "";
    if (!verbose) {
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (s) => {
            // Keep the tail only: enough to explain a failure.
            stderr = (stderr + s).slice(-64 << 10);
        });
    }
    const exited = new Promise((resolve) => {
        child.once("exit", (code, signal) => resolve({ code, signal }));
    });

    const urls = [];
    let url;
    const lines = createInterface({ input: child.stdout });
    try {
        url = await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("the test server did not get ready in time")), startTimeoutMs);
            lines.on("line", (line) => {
                if (line.startsWith(listeningPrefix)) {
                    urls.push(line.slice(listeningPrefix.length).trim());
                } else if (line.startsWith(readyPrefix)) {
                    clearTimeout(timer);
                    resolve(line.slice(readyPrefix.length).trim());
                }
            });
            exited.then(({ code, signal }) => {
                clearTimeout(timer);
                reject(new Error(`the test server exited before it was ready (code ${code}, signal ${signal}):\n${stderr}`));
            });
        });
    } catch (e) {
        child.kill("SIGKILL");
        throw e;
    }

    let stopping;
    const stop = (signal = "SIGTERM") => {
        if (!stopping) {
            stopping = (async () => {
                if (child.exitCode === null && child.signalCode === null) {
                    child.kill(signal);
                }
                const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
                const status = await exited;
                clearTimeout(timer);
                lines.close();
                return status;
            })();
        }
        return stopping;
    };
    // Never leave a server behind, even when a test file crashes.
    process.once("exit", () => child.kill("SIGKILL"));

    return {
        url,
        httpsUrl: urls.find((u) => u.startsWith("https://")),
        urls,
        stderr: () => stderr,
        stop,
    };
}
