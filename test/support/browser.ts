/**
 * Helpers for the end-to-end tests in a real headless Chromium (Debian's, never a downloaded one):
 * building the client once, launching the browser, opening the page signed in, sending messages
 * and waiting for what a user would see.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from "playwright-core";
import { ensureClientBuilt } from "../../bin/client-build.js";
import { deriveChatItems, type ChatItem } from "../../client/src/chat-items.js";
import { createLogger } from "../../platform/logger.js";
import type { Event } from "../../shared/events.js";
import { turnFinished } from "../../shared/turn-status.js";
import { TEST_TOKEN, type ApiClient } from "./harness.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const RESULTS_DIR = path.join(ROOT, "test-results");
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * The bound playwright puts on each of its waits (for something the user should see) and
 * actions: generous, so a loaded two-core machine passes. Tests that use it run with
 * `E2E_TEST_TIMEOUT_MS`, longer, so a wait that does run out fails with playwright's own message,
 * which says what it waited for and what it found.
 */
export const UI_TIMEOUT_MS = 60_000;

/** The test timeout for the browser tests (they start a browser and the platform): above `UI_TIMEOUT_MS`. */
export const E2E_TEST_TIMEOUT_MS = 300_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** True while the process with this id runs. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `work` while holding an exclusive lock file, so test files running in parallel workers do
 * not build the client at the same time (Vite empties `client/dist` first). The file holds the
 * holder's process id: a lock whose holder has died is taken over, however long a live holder
 * takes. There is nothing to be told of the release, so a waiter looks again every 200 ms, with
 * no deadline of its own (the calling hook's timeout bounds it).
 */
async function withFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      try {
        const holder = Number.parseInt(readFileSync(file, "utf8"), 10);
        // A holder that died leaves its id behind. A file without one is being written this very
        // moment, or was left by a crash between creating and writing it (or by an older version).
        const abandoned = Number.isInteger(holder) ? !isRunning(holder) : Date.now() - statSync(file).mtimeMs > 10_000;
        if (abandoned) rmSync(file, { force: true });
      } catch {
        // Released meanwhile.
      }
      await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Builds `client/dist` when it is missing or older than its sources. Call it before
 * `startPlatform()`: the server only serves the page if it exists when the server starts.
 */
export async function ensureClientForTests(): Promise<void> {
  const tag = createHash("sha256").update(ROOT).digest("hex").slice(0, 12);
  // Two test files may start at once: one builds, the other waits for it.
  await withFileLock(path.join(tmpdir(), `switchboard-client-build-${tag}.lock`), () => ensureClientBuilt(createLogger("silent")));
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

export interface AppPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page. */
  errors: string[];
  /** alert/confirm/prompt dialogs the page opened (each is dismissed). */
  dialogs: string[];
}

export interface OpenOptions extends Pick<BrowserContextOptions, "viewport" | "isMobile" | "hasTouch" | "deviceScaleFactor" | "bypassCSP"> {
  /** Where to go after `/?token=…`, e.g. `#/c/<id>`. */
  hash?: string;
  /** False: open the page without a token (the token screen). */
  signedIn?: boolean;
  /** Keep every WebSocket the page opens in `window.__e2eSockets`, so a test can cut one. */
  trackSockets?: boolean;
  /** Runs on the new context before the page opens, e.g. `withholdSocketFrames`. */
  beforeOpen?: (context: BrowserContext) => Promise<void>;
}

/** A new browser context (its own storage) with the app open; waits for the live connection when signed in. */
export async function openApp(browser: Browser, baseUrl: string, options: OpenOptions = {}): Promise<AppPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1440, height: 900 },
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
    ...(options.isMobile === undefined ? {} : { isMobile: options.isMobile }),
    ...(options.hasTouch === undefined ? {} : { hasTouch: options.hasTouch }),
    ...(options.bypassCSP === undefined ? {} : { bypassCSP: options.bypassCSP }),
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  await options.beforeOpen?.(context);
  if (options.trackSockets) {
    await context.addInitScript(() => {
      const Native = window.WebSocket;
      const sockets: WebSocket[] = [];
      (window as unknown as { __e2eSockets: WebSocket[] }).__e2eSockets = sockets;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          sockets.push(this);
        }
      };
    });
  }
  const page = await context.newPage();
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on("pageerror", (error) => errors.push(error.stack ?? error.message));
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => {});
  });
  const signedIn = options.signedIn ?? true;
  await page.goto(`${baseUrl}/${signedIn ? `?token=${TEST_TOKEN}` : ""}${options.hash ?? ""}`);
  if (signedIn) await waitForConnected(page);
  return { context, page, errors, dialogs };
}

export async function waitForConnected(page: Page): Promise<void> {
  await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
}

/** The open conversation's id, from the address (`#/c/<id>`). */
export function conversationIdOf(page: Page): string | undefined {
  return /#\/c\/([A-Za-z0-9_-]+)$/.exec(page.url())?.[1];
}

/**
 * Types `text` in the composer and presses Enter (taps Send on a touch screen), as a person would, then waits until the server
 * has acknowledged it (the message carries its log id). Returns that event id.
 */
export async function sendMessage(page: Page, text: string): Promise<string> {
  const input = page.getByTestId("composer-input");
  await input.fill(text);
  // On a touch screen Enter starts a new line and the button sends, so a person there taps it.
  if (await page.evaluate(() => window.matchMedia("(pointer: coarse)").matches)) await page.getByTestId("send-button").tap();
  else await input.press("Enter");
  const handle = await page.waitForFunction(
    (expected) => {
      const mine = [...document.querySelectorAll<HTMLElement>('[data-testid="message"][data-agent="user"]')].filter(
        (element) => element.querySelector(".user-text")?.textContent === expected,
      );
      const last = mine.at(-1);
      return last !== undefined && last.dataset.pending !== "true" && last.dataset.eventId ? last.dataset.eventId : false;
    },
    text,
    { timeout: UI_TIMEOUT_MS },
  );
  return (await handle.jsonValue()) as string;
}

/** Starts a new conversation with the sidebar's button, as a person would; returns its id from the address once it is joined. */
export async function startConversation(page: Page): Promise<string> {
  const before = conversationIdOf(page) ?? null;
  await page.getByTestId("new-conversation").click();
  await page.waitForFunction((previous) => {
    const match = /#\/c\/([A-Za-z0-9_-]+)$/.exec(location.hash);
    return match !== null && match[1] !== previous;
  }, before);
  const id = conversationIdOf(page);
  if (id === undefined) throw new Error(`no conversation in the address: ${page.url()}`);
  // Joined, so live updates flow: what the team does next streams in rather than arriving whole.
  await page.locator(`[role="log"][data-conversation="${id}"][aria-busy="false"]`).waitFor({ state: "attached", timeout: UI_TIMEOUT_MS });
  return id;
}

export interface Turn {
  conversationId: string;
  userEventId: string;
  /** The log from the user's message (excluded) to the end of the turn. */
  events: Event[];
}

/**
 * Sends `text` in the open conversation (or a new one), waits until the team has finished, and
 * until the page shows every message of the log, in order, with no answer still streaming.
 */
export async function askAndWait(page: Page, api: ApiClient, text: string): Promise<Turn> {
  const userEventId = await sendMessage(page, text);
  const conversationId = conversationIdOf(page);
  if (conversationId === undefined) throw new Error(`no conversation in the address: ${page.url()}`);
  const events = await waitForTurn(api, conversationId, userEventId);
  await waitForMessageIds(page, await loggedMessageIds(api, conversationId));
  await page.getByTestId("streaming-message").first().waitFor({ state: "detached" });
  return { conversationId, userEventId, events };
}

/** Follows the log over REST from the user's message until every run of its turn has ended (no deadline: see `ApiClient.waitFor`). */
export function waitForTurn(api: ApiClient, conversationId: string, userEventId: string): Promise<Event[]> {
  return api.waitFor(conversationId, turnFinished, { after: userEventId, what: `the turn of ${userEventId} in ${conversationId} to finish` });
}

/** Every `message` element's event id, in page order (pending messages without one are left out). */
export function renderedMessageIds(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="message"][data-event-id]', (elements) =>
    elements.map((element) => (element as HTMLElement).dataset.eventId as string),
  );
}

/** Waits until the page shows exactly these message ids, in this order. */
export async function waitForMessageIds(page: Page, ids: readonly string[]): Promise<void> {
  await page.waitForFunction(
    (expected) => {
      const shown = [...document.querySelectorAll<HTMLElement>('[data-testid="message"][data-event-id]')].map((e) => e.dataset.eventId);
      return shown.length === expected.length && shown.every((id, index) => id === expected[index]);
    },
    ids,
    { timeout: UI_TIMEOUT_MS },
  );
}

/**
 * The ids of the message events (user and agent) in the conversation's log that the chat shows as
 * messages, oldest first: a delegated specialist's answers are shown under its handoff instead.
 */
export async function loggedMessageIds(api: ApiClient, conversationId: string): Promise<string[]> {
  const events = await api.events(conversationId);
  // What a retry or an edit replaced is on the page too, collapsed.
  const ids = (items: readonly ChatItem[]): string[] =>
    items.flatMap((item) => (item.kind === "message" ? [item.event.id] : item.kind === "replaced" ? ids(item.items) : []));
  return ids(deriveChatItems(events));
}

/** Saves a screenshot of the page (or of one element) under `test-results/` (git-ignored); returns its path. */
export async function screenshot(target: Page | Locator, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await target.screenshot({ path: file });
  return file;
}

/** Horizontal overflow of the document: how far it can scroll sideways (0 is none). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth);
}

/**
 * Keeps the Socket.IO packets from the server that `withhold` matches from ever reaching the
 * context's pages, over WebSocket and long polling alike: a tab that misses a live event (say,
 * that someone else already decided an approval) while everything else keeps flowing.
 */
export async function withholdSocketFrames(context: BrowserContext, withhold: (packet: string) => boolean): Promise<void> {
  await context.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      if (typeof message !== "string" || !withhold(message)) ws.send(message);
    });
  });
  await context.route(/\/socket\.io\/\?/, async (route) => {
    if (route.request().method() !== "GET") return route.continue();
    const response = await route.fetch();
    // A polling response holds several packets, separated by the record separator.
    const packets = (await response.text()).split("\u001e").filter((packet) => !withhold(packet));
    await route.fulfill({ response, body: packets.join("\u001e") });
  });
}
