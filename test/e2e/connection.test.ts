/**
 * Losing the connection in the middle of an answer, in a real headless Chromium: the page says it
 * is offline, reconnects on its own, catches up from its cursor, and shows every event once.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  E2E_TEST_TIMEOUT_MS,
  ensureClientForTests,
  launchBrowser,
  loggedMessageIds,
  openApp,
  renderedMessageIds,
  sendMessage,
  startConversation,
  UI_TIMEOUT_MS,
  waitForConnected,
  waitForMessageIds,
  waitForTurn,
  type AppPage,
} from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";

let platform: Platform;
let browser: Browser;

// A browser and the platform start here: slow on a loaded machine. Each playwright wait has its
// own UI_TIMEOUT_MS bound, below this one.
vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  // Slow words: the researcher's long answer streams for a few seconds, time to cut the line.
  [platform, browser] = await Promise.all([startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "40" } }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

const QUESTION = "Summarize how handoffs work";

const connectionState = (page: Page): Promise<string | null> => page.getByTestId("connection-status").getAttribute("data-state");

/** Sends the question and returns once the answer is visibly streaming. */
async function startAnswer(app: AppPage): Promise<{ conversationId: string; userEventId: string }> {
  const { page } = app;
  const conversationId = await startConversation(page);
  const userEventId = await sendMessage(page, QUESTION);
  await page.waitForFunction(() => (document.querySelector('[data-testid="streaming-message"] .markdown')?.textContent ?? "").length > 0, null, {
    timeout: UI_TIMEOUT_MS,
  });
  return { conversationId, userEventId };
}

/** After the turn: the page shows exactly the log's messages, each once, and no half-streamed answer. */
async function expectCaughtUp(page: Page, conversationId: string, userEventId: string): Promise<void> {
  await waitForTurn(platform.api, conversationId, userEventId);
  const logged = await loggedMessageIds(platform.api, conversationId);
  expect(logged).toHaveLength(2);
  await waitForMessageIds(page, logged);
  const shown = await renderedMessageIds(page);
  expect(shown).toEqual(logged);
  expect(new Set(shown).size).toBe(shown.length);
  const everyId = await page.$$eval(".chat-log [data-event-id]", (elements) => elements.map((element) => element.getAttribute("data-event-id")));
  expect(new Set(everyId).size).toBe(everyId.length);
  await page.getByTestId("streaming-message").first().waitFor({ state: "detached" });
  const answer = (await platform.api.events(conversationId)).find((event) => event.type === "message.agent");
  const shownAnswer = page.locator(`[data-testid="message"][data-event-id="${answer?.id}"]`);
  expect(await shownAnswer.getAttribute("data-agent")).toBe("researcher");
  expect(await shownAnswer.textContent()).toContain("docs/handoffs.md");
  expect(await connectionState(page)).toBe("connected");
}

describe("losing the connection mid-answer", () => {
  it("goes offline with the device, comes back, and shows every event once", async () => {
    const app = await openApp(browser, platform.server.url);
    const { page, context } = app;
    const { conversationId, userEventId } = await startAnswer(app);

    // Chromium's offline emulation also drops open WebSockets: the page notices at once.
    await context.setOffline(true);
    await page.locator('[data-testid="connection-status"][data-state="offline"]').waitFor();
    // The answer keeps being written on the server meanwhile: the page misses the rest of the turn.
    await waitForTurn(platform.api, conversationId, userEventId);
    expect(await connectionState(page)).toBe("offline");
    await context.setOffline(false);
    await waitForConnected(page);

    await expectCaughtUp(page, conversationId, userEventId);
    expect(app.errors).toEqual([]);
    await context.close();
  });

  it("reconnects by itself when the socket drops while the device stays online", async () => {
    const app = await openApp(browser, platform.server.url, { trackSockets: true });
    const { page, context } = app;
    const { conversationId, userEventId } = await startAnswer(app);

    // Watch the indicator from inside the page, so a short "reconnecting" is not missed.
    await page.evaluate(() => {
      const states: string[] = [];
      (window as unknown as { __states: string[] }).__states = states;
      const status = document.querySelector('[data-testid="connection-status"]') as Element;
      new MutationObserver(() => states.push(status.getAttribute("data-state") ?? "")).observe(status, { attributes: true });
    });
    const closed = await page.evaluate(() => {
      const open = (window as unknown as { __e2eSockets: WebSocket[] }).__e2eSockets.filter((socket) => socket.readyState === WebSocket.OPEN);
      for (const socket of open) socket.close();
      return open.length;
    });
    expect(closed).toBe(1);
    await page.waitForFunction(() => (window as unknown as { __states: string[] }).__states.includes("reconnecting"), null, {
      timeout: UI_TIMEOUT_MS,
    });
    await waitForConnected(page);

    await expectCaughtUp(page, conversationId, userEventId);
    expect(app.errors).toEqual([]);
    await context.close();
  });
});
