// `npm start`, `npm run start:server`, `npm run start:agents`: run the compiled entry point
// (dist/bin/<name>.js), compiling first (`npm run build:server`, tsc) when dist/ is missing or older
// than its sources, so a fresh clone starts with one command and production never compiles at run
// time. Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRIES = ["switchboard", "server", "agents"];
/** What tsconfig.build.json compiles, and the settings that change its output. */
const SOURCES = ["shared", "platform", "runtime", "agents", "workflows", "server", "bin", "specialists", "tsconfig.json", "tsconfig.build.json"];
/** Written by every build (`npm run build` too); touched here as well, since tsc leaves it alone when nothing changed. */
const STAMP = path.join(ROOT, "dist", ".tsbuildinfo");

const name = process.argv[2];
if (!ENTRIES.includes(name)) {
  process.stderr.write(`Usage: node bin/start.mjs ${ENTRIES.join("|")}\n`);
  process.exit(2);
}

function newestChange(file) {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return /\.(ts|json)$/.test(file) ? stat.mtimeMs : 0;
  return Math.max(0, ...readdirSync(file).map((entry) => newestChange(path.join(file, entry))));
}

function build() {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  } catch {
    process.stderr.write("Switchboard is not compiled and TypeScript is not installed: run `npm install && npm run build`.\n");
    process.exit(1);
  }
  process.stderr.write("Compiling Switchboard (first start or changed sources)…\n");
  const result = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) {
    process.stderr.write("Switchboard cannot start: compiling it failed (above).\n");
    process.exit(1);
  }
  const now = new Date();
  utimesSync(STAMP, now, now);
}

if (!existsSync(STAMP) || statSync(STAMP).mtimeMs < Math.max(...SOURCES.map((source) => newestChange(path.join(ROOT, source))))) build();

const entry = path.join(ROOT, "dist", "bin", `${name}.js`);
// The entry point names its process after its own file (OpenTelemetry's switchboard.process).
process.argv[1] = entry;
await import(pathToFileURL(entry).href);
