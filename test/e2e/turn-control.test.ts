/**
 * Control of a turn in a real Chromium, as a user does it: Stop a running answer from the composer
 * (by keyboard), Retry the last answer, and Edit a message and send it again. The earlier turn
 * stays on the page, collapsed under "Replaced"; a stopped run says who stopped it.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EventOf } from "../../shared/events.js";
import {
  askAndWait,
  conversationIdOf,
  E2E_TEST_TIMEOUT_MS,
  ensureClientForTests,
  launchBrowser,
  openApp,
  sendMessage,
  startConversation,
  UI_TIMEOUT_MS,
  waitForTurn,
} from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";

let platform: Platform;
let browser: Browser;
let page: Page;

vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  // Words stream slowly enough that an answer is still being written when the user stops it.
  [platform, browser] = await Promise.all([startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "60" } }), launchBrowser()]);
  page = (await openApp(browser, platform.server.url)).page;
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

/** The id of the newest user message the page shows with this text, outside "Replaced", once it is not `before`. */
async function newestUserMessage(text: string, before?: string): Promise<string> {
  const handle = await page.waitForFunction(
    ([expected, previous]) => {
      const mine = [...document.querySelectorAll<HTMLElement>('[data-testid="message"][data-agent="user"]')].filter(
        (element) => element.querySelector(".user-text")?.textContent === expected && element.closest('[data-testid="replaced"]') === null,
      );
      const id = mine.at(-1)?.dataset.eventId;
      return id !== undefined && id !== previous ? id : false;
    },
    [text, before] as const,
    { timeout: UI_TIMEOUT_MS },
  );
  return (await handle.jsonValue()) as string;
}

describe("controlling a turn in the browser", () => {
  it("stops a running answer from the composer: the partial text is shown as stopped, by whom", async () => {
    await startConversation(page);
    const messageId = await sendMessage(page, "Explain in detail how handoffs and delegation work between the agents of the team");
    const conversationId = conversationIdOf(page) as string;
    await page.getByTestId("streaming-message").first().waitFor({ timeout: UI_TIMEOUT_MS });

    const stop = page.getByRole("button", { name: "Stop the running turn" });
    await stop.focus();
    await page.keyboard.press("Enter");

    // A delegated run's notice sits under its handoff, which may be collapsed: attached is enough.
    const stopped = page.getByTestId("run-stopped").first();
    await stopped.waitFor({ state: "attached", timeout: UI_TIMEOUT_MS });
    expect(await stopped.textContent()).toContain("stopped by local");
    await page.getByTestId("streaming-message").first().waitFor({ state: "detached", timeout: UI_TIMEOUT_MS });
    // The button is Send again, and nothing half-written is left looking like an answer.
    await page.getByTestId("send-button").waitFor({ timeout: UI_TIMEOUT_MS });
    const events = await waitForTurn(platform.api, conversationId, messageId);
    expect(events.some((e) => e.type === "run.cancelled")).toBe(true);
    expect(events.some((e) => e.type === "run.completed" && e.data.outcome === "answered")).toBe(false);
  });

  it("retries the last answer and edits a message; what they replaced stays, collapsed under Replaced", async () => {
    await startConversation(page);
    const first = await askAndWait(page, platform.api, "What is 2 + 3?");

    await page.getByTestId("retry-answer").click();
    const retried = await newestUserMessage("What is 2 + 3?", first.userEventId);
    const retriedTurn = await waitForTurn(platform.api, first.conversationId, retried);
    expect(retriedTurn.some((e) => e.type === "message.agent")).toBe(true);
    const replaced = page.getByTestId("replaced").first();
    await replaced.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await replaced.evaluate((element) => (element as HTMLDetailsElement).open)).toBe(false);
    expect(await replaced.locator("summary").textContent()).toContain("Replaced");
    await replaced.locator("summary").click();
    await replaced.locator(`[data-event-id="${first.userEventId}"]`).waitFor({ state: "visible", timeout: UI_TIMEOUT_MS });

    const latest = page.locator(`[data-testid="message"][data-event-id="${retried}"]`);
    await latest.getByTestId("edit-message").click();
    await page.getByTestId("message-edit-input").fill("What is 6 * 7?");
    await page.getByTestId("message-edit-send").click();
    const edited = await newestUserMessage("What is 6 * 7?");
    await waitForTurn(platform.api, first.conversationId, edited);

    const log = await platform.api.events(first.conversationId);
    const editedEvent = log.find((e): e is EventOf<"message.user"> => e.id === edited && e.type === "message.user");
    expect(editedEvent?.data).toMatchObject({ replaces: retried, mode: "edit" });
    // The retried turn joined the replaced block; the edited message and its answer are the live conversation.
    await page.waitForFunction(
      (id) => document.querySelector(`[data-testid="replaced"] [data-event-id="${id}"]`) !== null,
      retried,
      { timeout: UI_TIMEOUT_MS },
    );
    await page.getByTestId("retry-answer").waitFor({ timeout: UI_TIMEOUT_MS });
  });
});
