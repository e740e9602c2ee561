/**
 * The chat's polish in a real headless Chromium against the real server, agents and Redis: a
 * parallel delegation's specialist work under its handoffs (collapsed) with the manager's answer as
 * the answer, starter prompts that send in one click, a phone's Enter key, and a conversation
 * opened at its first unread answer.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  askAndWait,
  conversationIdOf,
  E2E_TEST_TIMEOUT_MS,
  ensureClientForTests,
  launchBrowser,
  loggedMessageIds,
  openApp,
  screenshot,
  startConversation,
  waitForMessageIds,
  waitForTurn,
} from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";

let platform: Platform;
let browser: Browser;

vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  [platform, browser] = await Promise.all([startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "5" } }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

const PHONE = { width: 390, height: 844 };

/** An element's box relative to the chat's scrolling area, and whether that area is at its end. */
function placeInChat(page: Page, selector: string): Promise<{ top: number; bottom: number; height: number; atEnd: boolean }> {
  return page.evaluate((css) => {
    const scroller = document.querySelector(".chat-scroll") as HTMLElement;
    const element = document.querySelector(css) as HTMLElement;
    const area = scroller.getBoundingClientRect();
    const box = element.getBoundingClientRect();
    return {
      top: box.top - area.top,
      bottom: box.bottom - area.top,
      height: area.height,
      atEnd: scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 2,
    };
  }, selector);
}

describe("the chat's polish", () => {
  it("shows a parallel delegation's specialist work under its handoffs, collapsed, and the manager's answer as the answer", async () => {
    const { page, context, errors } = await openApp(browser, platform.server.url);
    await startConversation(page);
    const { events } = await askAndWait(page, platform.api, "convert 5 miles to km, and summarize how handoffs work");
    const specialistAnswers = events.filter((event) => event.type === "message.agent" && event.agent !== "manager");
    expect(specialistAnswers.map((event) => event.agent).sort()).toEqual(["calculator", "researcher"]);

    // Each specialist's work sits right under its own handoff, inside the group.
    const group = page.locator(".handoff-group");
    for (const agent of ["calculator", "researcher"]) {
      const entry = group.locator("li", { has: page.locator(`[data-testid="handoff"][data-kind="handoff"][data-to="${agent}"]`) });
      const work = entry.locator(`[data-testid="specialist-work"][data-agent="${agent}"]`);
      expect(await work.count()).toBe(1);
      const answer = specialistAnswers.find((event) => event.agent === agent);
      expect(await work.locator(`[data-testid="specialist-message"][data-event-id="${answer?.id}"]`).count()).toBe(1);
      // Its return is still said, without repeating the answer it carries.
      expect(await work.locator('[data-testid="handoff"][data-kind="return"][data-status="completed"]').count()).toBe(1);
      expect(await work.locator(".handoff-result").count()).toBe(0);
    }
    // No specialist answer is a chat message of its own: the conversation's messages are the question and the answer.
    const messages = page.locator('[data-testid="message"]');
    expect(await messages.evaluateAll((items) => items.map((item) => item.getAttribute("data-agent")))).toEqual(["user", "manager"]);
    expect(await messages.last().innerText()).toContain("8.04672");

    // The researcher's longer answer is collapsed to its first lines, and opens in full.
    const research = page.locator('[data-testid="specialist-work"][data-agent="researcher"]');
    const body = research.locator(".specialist-work-body");
    const collapsed = await body.evaluate((element) => ({ shown: element.clientHeight, full: element.scrollHeight }));
    expect(collapsed.shown).toBeLessThan(collapsed.full);
    const toggle = research.getByTestId("specialist-work-toggle");
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    await toggle.click();
    await page.locator('[data-testid="specialist-work"][data-agent="researcher"][data-expanded="true"]').waitFor();
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    expect(await body.evaluate((element) => element.clientHeight)).toBeGreaterThanOrEqual(collapsed.full);
    await screenshot(page, "chat-delegation-specialist-work");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("sends a starter prompt drawn from the team in one click", async () => {
    const { page, context, errors } = await openApp(browser, platform.server.url);
    await startConversation(page);
    const starters = page.getByTestId("starter-prompt");
    await starters.first().waitFor();
    expect(await starters.evaluateAll((items) => items.map((item) => item.getAttribute("data-agent")))).toEqual(
      expect.arrayContaining(["calculator", "researcher", "writer"]),
    );
    // Each workflow is offered too, opening its start form.
    expect(await page.getByTestId("starter-workflow").count()).toBeGreaterThan(0);
    await screenshot(page, "chat-starters");

    await page.locator('[data-testid="starter-prompt"][data-agent="calculator"]').click();
    const mine = page.locator('[data-testid="message"][data-agent="user"]:not([data-pending="true"])');
    await mine.waitFor();
    expect(await mine.locator(".user-text").innerText()).toBe("What is 17.5% of 2,480?");
    const conversationId = conversationIdOf(page) as string;
    await waitForTurn(platform.api, conversationId, (await mine.getAttribute("data-event-id")) as string);
    await waitForMessageIds(page, await loggedMessageIds(platform.api, conversationId));
    expect(await page.locator('[data-testid="message"][data-agent="calculator"]').innerText()).toContain("434");
    expect(await page.getByTestId("chat-empty").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("on a phone, Enter starts a new line, the button sends, and the hint says so", async () => {
    const { page, context, errors } = await openApp(browser, platform.server.url, { viewport: PHONE, isMobile: true, hasTouch: true });
    const input = page.getByTestId("composer-input");
    await input.waitFor();
    expect(await page.locator(".composer-hint").innerText()).toBe("Enter starts a new line · the send button sends");
    await input.tap();
    await input.pressSequentially("line one");
    await input.press("Enter");
    await input.pressSequentially("line two");
    expect(await input.inputValue()).toBe("line one\nline two");
    // Enter sent nothing (the page may still be loading the newest conversation's earlier messages).
    expect(await page.locator('[data-testid="message"][data-agent="user"]', { hasText: "line one" }).count()).toBe(0);

    await page.getByTestId("send-button").tap();
    const mine = page.locator('[data-testid="message"][data-agent="user"]:not([data-pending="true"])', { hasText: "line two" });
    await mine.waitFor();
    expect(await mine.locator(".user-text").innerText()).toBe("line one\nline two");
    expect(await input.inputValue()).toBe("");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("opens a conversation with unread answers at the first of them", async () => {
    const { page, context, errors } = await openApp(browser, platform.server.url, { viewport: { width: 1280, height: 640 } });
    const conversationId = await startConversation(page);
    for (const question of ["What is 2 + 2?", "What is 3 + 5?", "What is 7 * 6?"]) await askAndWait(page, platform.api, question);

    // Away in another conversation, the first one gets two more answers.
    await startConversation(page);
    const unread: string[] = [];
    for (const question of ["What is 12 * 12?", "convert 5 miles to km, and summarize how handoffs work"]) {
      const userEventId = await platform.api.send(conversationId, question);
      const turn = await waitForTurn(platform.api, conversationId, userEventId);
      unread.push(...turn.filter((event) => event.type === "message.agent").map((event) => event.id));
    }
    const logged = await loggedMessageIds(platform.api, conversationId);
    const firstUnread = logged.find((id) => unread.includes(id));

    await page.locator(`[data-conversation-id="${conversationId}"]`).click();
    await waitForMessageIds(page, logged);
    const marked = page.locator(".is-first-unread");
    await marked.waitFor();
    expect(await marked.getAttribute("data-event-id")).toBe(firstUnread);
    // It is at the top of the chat, and the newest messages are below, not where the chat opened.
    const place = await placeInChat(page, ".is-first-unread");
    expect(place.top).toBeGreaterThanOrEqual(0);
    expect(place.top).toBeLessThan(place.height / 3);
    expect(place.atEnd).toBe(false);
    await screenshot(page, "chat-first-unread");

    // Read to the end, it opens at the newest next time.
    await page.locator(".chat-scroll").evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
    await page.waitForFunction(
      ([id, newest]) => (JSON.parse(localStorage.getItem("switchboard.lastSeen") ?? "{}") as Record<string, string>)[id as string] === newest,
      [conversationId, (await platform.api.events(conversationId)).at(-1)?.id],
    );
    await page.reload();
    await waitForMessageIds(page, logged);
    expect(await page.locator(".is-first-unread").count()).toBe(0);
    await page.waitForFunction(() => {
      const scroller = document.querySelector(".chat-scroll") as HTMLElement;
      return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 2;
    });
    expect(errors).toEqual([]);
    await context.close();
  });
});
