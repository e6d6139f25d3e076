// Builds the page into dist/: index.html plus hashed assets under
// dist/assets/, everything bundled from node_modules (no CDN).
// `node build.mjs --dev` skips minification.

import * as esbuild from "esbuild";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");
const dev = process.argv.includes("--dev");

// Empty dist/ but keep .gitkeep, which embed.go needs in a fresh clone.
await mkdir(dist, { recursive: true });
for (const name of await readdir(dist)) {
  if (name !== ".gitkeep") await rm(path.join(dist, name), { recursive: true, force: true });
}

const result = await esbuild.build({
  entryPoints: [path.join(here, "src/main.tsx")],
  bundle: true,
  outdir: path.join(dist, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  format: "esm",
  platform: "browser",
  target: ["chrome110", "firefox115", "safari16"],
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  metafile: true,
  legalComments: "linked",
  define: { "process.env.NODE_ENV": JSON.stringify(dev ? "development" : "production") },
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => "/" + path.relative(dist, path.resolve(p)).split(path.sep).join("/"));
const js = outputs.filter((p) => p.endsWith(".js"));
const css = outputs.filter((p) => p.endsWith(".css"));
let html = await readFile(path.join(here, "src/index.html"), "utf8");
html = html
  .replace("<!--styles-->", css.map((h) => `<link rel="stylesheet" href="${h}" />`).join("\n    "))
  .replace("<!--scripts-->", js.map((h) => `<script type="module" src="${h}"></script>`).join("\n    "));
await writeFile(path.join(dist, "index.html"), html);

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`built dist/index.html and ${outputs.length} assets (${Math.round(bytes / 1024)} KiB)`);
