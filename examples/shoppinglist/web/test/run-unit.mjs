// Runs the TypeScript unit tests: esbuild bundles each test/unit/*.test.ts
// into a temporary folder, then node's test runner runs them.

import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const unitDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "unit");
const out = await mkdtemp(path.join(tmpdir(), "shoppinglist-unit-"));
try {
  const tests = (await readdir(unitDir)).filter((f) => f.endsWith(".test.ts"));
  await esbuild.build({
    entryPoints: tests.map((f) => path.join(unitDir, f)),
    bundle: true,
    platform: "node",
    format: "esm",
    outdir: out,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
  const files = tests.map((f) => path.join(out, f.replace(/\.ts$/, ".mjs")));
  const r = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
} finally {
  await rm(out, { recursive: true, force: true });
}
