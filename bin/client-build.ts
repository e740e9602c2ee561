import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { APP_ROOT as ROOT } from "../platform/app-root.js";
import type { Logger } from "../platform/logger.js";

const CLIENT = path.join(ROOT, "client");
const BUILT = path.join(CLIENT, "dist", "index.html");
/** What the built page is made of; tests and configs of the client do not make it stale. */
const SOURCES = [path.join(CLIENT, "src"), path.join(CLIENT, "index.html"), path.join(ROOT, "shared")];

function newestChange(file: string): number {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(file).map((name) => newestChange(path.join(file, name))));
}

function viteBin(): string | undefined {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve("vite/package.json")), "bin", "vite.js");
  } catch {
    return undefined;
  }
}

/**
 * Builds the browser client when it is missing or older than its sources, so `npm start` on a
 * fresh clone serves the page. The build runs in a child process, so Vite's memory does not stay
 * with the server. Vite is a development dependency: where it is not installed (`npm ci
 * --omit=dev` without a build), the server runs without the page and says so.
 */
export async function ensureClientBuilt(log: Logger): Promise<void> {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= Math.max(...SOURCES.map(newestChange))) return;
  const vite = viteBin();
  if (!vite) {
    log.warn("the browser client is not built and Vite is not installed; run `npm install && npm run build:client` to get the page");
    return;
  }
  log.info("building the browser client (first start or changed sources)…");
  // Vite reads NODE_ENV before its own mode: under a test runner it would build React for development.
  const child = spawn(process.execPath, [vite, "build", "--config", path.join(ROOT, "vite.config.ts"), "--mode", "production", "--logLevel", "warn"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`building the browser client failed:\n${output.trim()}`);
}
