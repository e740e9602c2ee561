/**
 * What a person sees in a real Chromium when the model misbehaves: a first token that is late
 * ("the model is slow"), and a stream cut mid-answer that is tried again, its partial text kept
 * and marked as replaced rather than left looking like the answer.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { E2E_TEST_TIMEOUT_MS, ensureClientForTests, launchBrowser, openApp, sendMessage, startConversation, type AppPage } from "../support/browser.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "../support/chat-completions-server.js";
import { startPlatform, type Platform } from "../support/harness.js";

let model: ChatCompletionsServer;
let platform: Platform;
let browser: Browser;
let app: AppPage;
let page: Page;

/** Per model request (by its index): hold the answer until the test lets it go. */
const holds = new Map<number, Promise<void>>();
const releases: (() => void)[] = [];
function holdRequest(index: number): () => void {
  let release: () => void = () => {};
  holds.set(index, new Promise<void>((resolve) => (release = resolve)));
  releases.push(release);
  return release;
}

vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  model = await startChatCompletionsServer({
    delayMs: 20,
    hold: (index) => holds.get(index),
    // The first answer is cut after a few words; its retry streams in full.
    cuts: (index) => (index === 0 ? { afterEvents: 6, then: "destroy" } : undefined),
  });
  [platform, browser] = await Promise.all([
    startPlatform({
      env: { OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "offline", SWITCHBOARD_MODEL_SLOW_MS: "300", SWITCHBOARD_MODEL_IDLE_MS: "3600000" },
    }),
    launchBrowser(),
  ]);
  app = await openApp(browser, platform.server.url);
  page = app.page;
});

afterAll(async () => {
  for (const release of releases) release();
  await browser?.close();
  await platform?.close();
  await model?.close();
});

describe("a misbehaving model, in the browser", () => {
  it("keeps the text of a cut answer, struck out as replaced, and shows the retry's answer once", async () => {
    const releaseRetry = holdRequest(1);
    await startConversation(page);
    await sendMessage(page, "Hello! Who are you?");

    const notice = page.getByTestId("retry-notice");
    await notice.waitFor();
    await expect.poll(() => notice.textContent()).toMatch(/interrupted; trying again \(attempt 2 of 3\)/);
    const replaced = (await notice.getByTestId("replaced-text").textContent()) ?? "";
    expect(replaced.trim().length).toBeGreaterThan(0);
    // The retry has not answered yet: nothing of the cut attempt is left in a bubble.
    expect(await page.getByTestId("streaming-message").count()).toBe(0);
    expect(await page.locator('[data-testid="message"][data-agent="manager"]').count()).toBe(0);

    releaseRetry();
    const answer = page.locator('[data-testid="message"][data-agent="manager"]');
    await answer.waitFor();
    const text = (await answer.textContent()) ?? "";
    expect(text).toContain(replaced.trim().split(/\s+/).slice(0, 3).join(" "));
    expect(await answer.count()).toBe(1);
    expect(await page.getByTestId("retry-notice").count()).toBe(1);
    expect(app.errors).toEqual([]);
  });

  it("says the model is slow while the first token is late, and stops saying it once the answer comes", async () => {
    const release = holdRequest(model.requests.length);
    await startConversation(page);
    await sendMessage(page, "Hello again!");
    const slow = page.getByTestId("model-slow");
    await slow.waitFor();
    expect(await slow.textContent()).toMatch(/has not started answering after 0\.3 s; still waiting/);
    // The run's own status says it too, in the timeline.
    await page.getByTestId("run-slow").first().waitFor({ state: "attached" });

    release();
    await page.locator('[data-testid="message"][data-agent="manager"]').waitFor();
    await slow.waitFor({ state: "detached" });
    expect(app.errors).toEqual([]);
  });
});
