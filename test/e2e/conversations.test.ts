/**
 * Managing conversations in a real headless Chromium against the real server, agents and Redis:
 * the list grouped by date, renaming from the keyboard, searching titles and message text, and
 * deleting the open conversation.
 */
import type { Redis } from "ioredis";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { connectRedis } from "../../platform/redis.js";
import { keys as keyNames } from "../../shared/keys.js";
import {
  askAndWait,
  conversationIdOf,
  E2E_TEST_TIMEOUT_MS,
  ensureClientForTests,
  launchBrowser,
  openApp,
  screenshot,
  startConversation,
  type AppPage,
} from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";

let platform: Platform;
let browser: Browser;
let redis: Redis;
let app: AppPage;
let page: Page;

vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  [platform, browser, redis] = await Promise.all([startPlatform(), launchBrowser(), connectRedis(inject("redisUrl"))]);
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
  await redis?.quit();
});

const row = (title: string) => page.locator(`[data-testid="conversation-item"][data-conversation-title="${title}"]`);
const listedTitles = () => page.getByTestId("conversation-list").locator(".conversation-title").allTextContents();

/** Waits until the list shows exactly these titles, in this order. */
async function waitForTitles(titles: string[]): Promise<void> {
  await page.waitForFunction(
    (expected) => JSON.stringify([...document.querySelectorAll(".conversation-link .conversation-title")].map((element) => element.textContent)) === JSON.stringify(expected),
    titles,
  );
}

describe("managing conversations in the browser", () => {
  let picnic: string;
  let batteries: string;

  it("groups the list by the day each conversation started", async () => {
    // One conversation from last spring, dated as it would have been then.
    const old = await platform.api.createConversation();
    await platform.api.request("PATCH", `/api/conversations/${old}`, { title: "Spring cleaning" });
    await redis.hset(keyNames(platform.config.prefix).meta(old), "createdAt", new Date(2026, 2, 14, 12).toISOString());

    app = await openApp(browser, platform.server.url);
    page = app.page;
    await startConversation(page);
    picnic = (await askAndWait(page, platform.api, "Plan a picnic for Saturday")).conversationId;
    await startConversation(page);
    batteries = (await askAndWait(page, platform.api, "Order new laptop batteries")).conversationId;

    await waitForTitles(["Order new laptop batteries", "Plan a picnic for Saturday", "Spring cleaning"]);
    const groups = await page.locator(".conversation-group").evaluateAll((elements) =>
      elements.map((group) => [group.querySelector(".conversation-group-label")?.textContent, [...group.querySelectorAll(".conversation-title")].map((title) => title.textContent)]),
    );
    expect(groups).toEqual([
      ["Today", ["Order new laptop batteries", "Plan a picnic for Saturday"]],
      ["March 2026", ["Spring cleaning"]],
    ]);
  });

  it("renames a conversation from the keyboard, through its menu", async () => {
    const menu = row("Plan a picnic for Saturday").getByTestId("conversation-menu");
    await menu.focus();
    await page.keyboard.press("Enter");
    // The menu takes focus on its first item; the arrow keys move through it.
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "rename-conversation");
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "delete-conversation");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter");
    const input = page.getByTestId("rename-input");
    await input.waitFor();
    expect(await input.inputValue()).toBe("Plan a picnic for Saturday");
    await page.keyboard.type("Picnic plans");
    await page.keyboard.press("Enter");

    await waitForTitles(["Order new laptop batteries", "Picnic plans", "Spring cleaning"]);
    expect((await platform.api.request("GET", `/api/conversations/${picnic}`)).body.title).toBe("Picnic plans");
    // Focus is back on the menu button, ready for the next action.
    await page.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "conversation-menu");

    // Escape leaves the title as it was.
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await page.getByTestId("rename-input").waitFor();
    await page.keyboard.type("Not this");
    await page.keyboard.press("Escape");
    await page.getByTestId("rename-input").waitFor({ state: "detached" });
    expect(await listedTitles()).toEqual(["Order new laptop batteries", "Picnic plans", "Spring cleaning"]);
  });

  it("searches titles at once and message text through the server", async () => {
    const search = page.getByTestId("conversation-search");
    await search.fill("BATTERIES");
    await waitForTitles(["Order new laptop batteries"]);

    // "Saturday" is only in the renamed conversation's first message.
    await search.fill("saturday");
    await waitForTitles(["Picnic plans"]);
    expect(await row("Picnic plans").locator(".conversation-match").textContent()).toMatch(/saturday/i);
    await screenshot(page, "conversations-search");

    await search.fill("no such words anywhere");
    await page.getByText("No conversation matches “no such words anywhere”.").waitFor();
    await search.press("Escape");
    await waitForTitles(["Order new laptop batteries", "Picnic plans", "Spring cleaning"]);
  });

  it("deletes the open conversation after a confirmation, and the page goes empty", async () => {
    await page.locator(`[data-conversation-id="${batteries}"]`).click();
    await page.locator(`[data-conversation-id="${batteries}"][aria-current="page"]`).waitFor();

    await row("Order new laptop batteries").getByTestId("conversation-menu").click();
    await page.getByTestId("delete-conversation").click();
    const question = page.getByRole("group", { name: "Delete Order new laptop batteries?" });
    await question.waitFor();
    // Cancel is where focus lands: a second Enter does not delete by accident.
    await page.waitForFunction(() => document.activeElement?.textContent === "Cancel");
    await screenshot(page, "conversations-confirm-delete");
    await question.getByTestId("confirm-delete-conversation").click();

    await waitForTitles(["Picnic plans", "Spring cleaning"]);
    await page.waitForFunction(() => !location.hash.startsWith("#/c/"));
    expect(conversationIdOf(page)).toBeUndefined();
    expect(await page.locator("#chat-title").textContent()).toBe("New conversation");
    expect((await platform.api.request("GET", `/api/conversations/${batteries}`)).status).toBe(404);
    // Still empty after the list is read again (the window regaining focus refreshes it).
    await page.evaluate(() => window.dispatchEvent(new Event("focus")));
    await waitForTitles(["Picnic plans", "Spring cleaning"]);
    expect(conversationIdOf(page)).toBeUndefined();
    expect(app.errors).toEqual([]);
  });
});
