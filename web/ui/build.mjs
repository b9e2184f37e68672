// Builds the web UI into ../../internal/web/dist (index.html, app.js,
// app.css, SOURCE_HASH), which herd embeds with //go:embed.
//
//   npm run build            one build
//   npm run build -- --watch rebuild on change
//
// SOURCE_HASH lets a Go test (internal/web/bundle_test.go) tell that the
// committed bundle is stale with nothing but Go: it is the SHA-256 of the
// lines "<path>\n<sha256 of the file's content>\n" for every input file,
// sorted by path (relative to web/ui, with "/"), where an input is any file
// under src/, package.json, package-lock.json and this script; CRLF is read
// as LF so that a Windows checkout hashes the same.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "internal", "web", "dist");
const watch = process.argv.includes("--watch");

function walk(dir, prefix) {
  const files = [];
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
    if (ent.isDirectory()) files.push(...walk(join(dir, ent.name), rel));
    else if (ent.isFile()) files.push(rel);
  }
  return files;
}

export function sourceHash() {
  const files = [...walk(join(here, "src"), "src"), "package.json", "package-lock.json", "build.mjs"];
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const h = createHash("sha256");
  for (const rel of files) {
    const data = readFileSync(join(here, ...rel.split("/")))
      .toString("latin1")
      .replace(/\r\n/g, "\n");
    const fh = createHash("sha256").update(Buffer.from(data, "latin1")).digest("hex");
    h.update(`${rel}\n${fh}\n`);
  }
  return h.digest("hex");
}

const banner = "/*! herd web UI. Bundles Preact (MIT License, (c) Jason Miller) and uPlot (MIT License, (c) Leon Sorokin). */";

const options = {
  entryPoints: { app: join(here, "src", "main.jsx") },
  outdir: out,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  banner: { js: banner, css: banner },
  logLevel: "warning",
};

function finish() {
  copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));
  writeFileSync(join(out, "SOURCE_HASH"), sourceHash() + "\n");
  for (const f of ["index.html", "app.js", "app.css"]) {
    const b = readFileSync(join(out, f));
    console.log(`${f.padEnd(11)} ${String(b.length).padStart(7)} B raw ${String(gzipSync(b, { level: 9 }).length).padStart(7)} B gzip`);
  }
}

if (existsSync(out)) rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

if (watch) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [{ name: "finish", setup: (b) => b.onEnd((r) => r.errors.length === 0 && finish()) }],
  });
  await ctx.watch();
  console.log("watching src/ …");
} else {
  await esbuild.build(options);
  finish();
}
