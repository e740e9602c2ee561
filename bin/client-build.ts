import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../platform/logger.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLIENT = path.join(ROOT, "client");
const BUILT = path.join(CLIENT, "dist", "index.html");

function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "dist" || entry.name === "node_modules") continue;
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(file) : statSync(file).mtimeMs);
  }
  return newest;
}

/**
 * Builds the browser client when it is missing or older than its sources, so `npm start` on a
 * fresh clone serves the page. Vite is a development dependency: where it is not installed
 * (`npm ci --omit=dev` without a build), the server runs without the page and says so.
 */
export async function ensureClientBuilt(log: Logger): Promise<void> {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestChange(CLIENT)) return;
  let vite: typeof import("vite");
  try {
    vite = await import("vite");
  } catch {
    log.warn("the browser client is not built and Vite is not installed; run `npm install && npm run build:client` to get the page");
    return;
  }
  log.info("building the browser client (first start or changed sources)…");
  // Vite reads NODE_ENV before its own mode: under a test runner it would build React for development.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await vite.build({ configFile: path.join(ROOT, "vite.config.ts"), root: CLIENT, logLevel: "warn", mode: "production" });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}
