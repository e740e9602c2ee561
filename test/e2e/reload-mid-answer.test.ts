/**
 * Reloading the page while an answer is being written, in a real Chromium: the bubble comes back
 * with the words already streamed and goes on from there to the full answer, no word twice.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  E2E_TEST_TIMEOUT_MS,
  UI_TIMEOUT_MS,
  conversationIdOf,
  ensureClientForTests,
  launchBrowser,
  openApp,
  sendMessage,
  startConversation,
  waitForConnected,
  type AppPage,
} from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";
import { pacedModel } from "../support/paced-model.js";

const ANSWER =
  "A reload in the middle of an answer used to hide it until the very end, when its tail appeared mid-sentence. " +
  "Now the words written so far come back at once, and the rest follows them, one word after another, until the answer is complete.";
const WORDS = ANSWER.split(" ");
/** The first `count` words, as the bubble shows them. */
const prefix = (count: number) => WORDS.slice(0, count).join(" ");

const model = pacedModel([ANSWER], { delayMs: 15 });
let platform: Platform;
let browser: Browser;
let app: AppPage;
let page: Page;

vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  [platform, browser] = await Promise.all([
    // The stream is held for as long as the test needs: the model's idle limit must not cut it.
    startPlatform({ model: model.client, env: { SWITCHBOARD_MODEL_IDLE_MS: "3600000" } }),
    launchBrowser(),
  ]);
  app = await openApp(browser, platform.server.url);
  page = app.page;
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

/** Waits until the answer being written shows exactly `text`. */
async function waitForStreamingText(text: string): Promise<void> {
  await page.waitForFunction(
    (expected) => document.querySelector('[data-testid="streaming-message"] .markdown')?.textContent?.trim() === expected,
    text,
    { timeout: UI_TIMEOUT_MS },
  );
}

describe("reloading while an answer streams", () => {
  it("shows the words already written at once, then continues the same bubble to the full answer", async () => {
    const beforeReload = model.holdAfter(0, 12);
    const afterReload = model.holdAfter(0, 24);
    const conversationId = await startConversation(page);
    await sendMessage(page, "What happens if I reload now?");
    await beforeReload.reached;
    await waitForStreamingText(prefix(12));

    await page.reload();
    expect(conversationIdOf(page)).toBe(conversationId);
    await waitForConnected(page);
    // The model is held: nothing new is streamed, so only the kept text can show these words.
    await waitForStreamingText(prefix(12));
    expect(await page.getByTestId("streaming-message").count()).toBe(1);

    beforeReload.release();
    await afterReload.reached;
    // Continued where it was: each word once, in order.
    await waitForStreamingText(prefix(24));

    afterReload.release();
    const answer = page.locator('[data-testid="message"][data-agent="manager"]');
    await answer.waitFor();
    await page.getByTestId("streaming-message").waitFor({ state: "detached" });
    expect((await answer.locator(".markdown").textContent())?.trim()).toBe(ANSWER);
    expect(await answer.count()).toBe(1);
    expect(app.errors).toEqual([]);
  });
});
