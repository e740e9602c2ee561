/**
 * The browser client's navigation and layouts in a real headless Chromium: the conversation list
 * and the address, a phone-sized screen, a desktop window narrowed to phone width, and the token
 * screen.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  askAndWait,
  conversationIdOf,
  E2E_TEST_TIMEOUT_MS,
  ensureClientForTests,
  horizontalOverflow,
  launchBrowser,
  loggedMessageIds,
  openApp,
  screenshot,
  startConversation,
  waitForConnected,
  waitForMessageIds,
} from "../support/browser.js";
import { startPlatform, TEST_TOKEN, type Platform } from "../support/harness.js";

let platform: Platform;
let browser: Browser;

// A browser and the platform start here: slow on a loaded machine. Each playwright wait has its
// own UI_TIMEOUT_MS bound, below this one.
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

const ask = async (page: Page, text: string): Promise<string> => (await askAndWait(page, platform.api, text)).conversationId;
const newConversation = startConversation;

const userTexts = (page: Page): Promise<string[]> =>
  page.locator('[data-testid="message"][data-agent="user"] .user-text').allTextContents();

/** Where an element is on the screen, and whether a person can see it there. */
async function onScreen(page: Page, selector: string): Promise<{ visible: boolean; left: number; right: number }> {
  return page.evaluate((css) => {
    const element = document.querySelector(css);
    if (element === null) return { visible: false, left: 0, right: 0 };
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    const inView = box.right > 0 && box.left < window.innerWidth && box.width > 0 && box.height > 0;
    return { visible: inView && style.visibility !== "hidden" && style.display !== "none", left: box.left, right: box.right };
  }, selector);
}

describe("the browser client's navigation and layouts", () => {
  it("keeps each conversation's messages apart and the open one in the address", async () => {
    const { page, context, errors } = await openApp(browser, platform.server.url);
    const first = await newConversation(page);
    await ask(page, "What is 2 + 2?");
    const second = await newConversation(page);
    expect(second).not.toBe(first);
    expect(await page.locator('[data-testid="message"]').count()).toBe(0);
    await ask(page, "What is 3 + 5?");
    expect(await page.locator('[data-testid="message"][data-agent="calculator"]').textContent()).toContain("8");

    // Both are listed, newest first, named after their first message.
    const list = page.getByTestId("conversation-list");
    await page.waitForFunction(() => document.querySelector(".conversation-link .conversation-title")?.textContent === "What is 3 + 5?");
    expect(await list.locator(".conversation-title").allTextContents()).toEqual(["What is 3 + 5?", "What is 2 + 2?"]);
    expect(await page.locator("#chat-title").textContent()).toBe("What is 3 + 5?");

    await list.locator(`[data-conversation-id="${first}"]`).click();
    await list.locator(`[data-conversation-id="${first}"][aria-current="page"]`).waitFor();
    expect(conversationIdOf(page)).toBe(first);
    await waitForMessageIds(page, await loggedMessageIds(platform.api, first));
    expect(await userTexts(page)).toEqual(["What is 2 + 2?"]);
    expect(await page.locator('[data-testid="message"][data-agent="calculator"]').textContent()).toContain("4");

    // The address survives a reload, and the back button returns to the other conversation.
    await page.reload();
    await waitForConnected(page);
    expect(conversationIdOf(page)).toBe(first);
    await waitForMessageIds(page, await loggedMessageIds(platform.api, first));
    expect(await userTexts(page)).toEqual(["What is 2 + 2?"]);
    await page.goBack();
    await list.locator(`[data-conversation-id="${second}"][aria-current="page"]`).waitFor();
    await waitForMessageIds(page, await loggedMessageIds(platform.api, second));
    expect(await userTexts(page)).toEqual(["What is 3 + 5?"]);

    // A link to a conversation opens it in a fresh page too.
    const other = await openApp(browser, platform.server.url, { hash: `#/c/${first}` });
    await waitForMessageIds(other.page, await loggedMessageIds(platform.api, first));
    expect(await userTexts(other.page)).toEqual(["What is 2 + 2?"]);
    await other.context.close();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("fits a phone screen and can be used there", async () => {
    const { page, context, errors } = await openApp(browser, platform.server.url, { viewport: PHONE, isMobile: true, hasTouch: true });
    expect(await page.evaluate(() => window.innerWidth)).toBe(PHONE.width);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    // Both side panels are closed drawers; the chat has the screen.
    expect((await onScreen(page, "#sidebar")).visible).toBe(false);
    expect((await onScreen(page, "#insights")).visible).toBe(false);
    expect(await page.locator(".scrim").count()).toBe(0);

    const input = page.getByTestId("composer-input");
    const box = await input.boundingBox();
    expect(box).not.toBeNull();
    if (box !== null) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
      expect(box.y + box.height).toBeLessThanOrEqual(PHONE.height);
    }
    await ask(page, "What is 17.5% of 2,480?");
    expect(await page.locator('[data-testid="message"][data-agent="calculator"]').last().textContent()).toContain("434");
    // Nothing the answer brought (handoff row, tool card, messages) pushes the page sideways.
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    const outside = await page.$$eval(".chat-log > *, .chat-log-items > *", (items) =>
      items.filter((item) => item.getBoundingClientRect().right > window.innerWidth + 0.5).map((item) => item.className),
    );
    expect(outside).toEqual([]);
    await screenshot(page, "phone-chat");

    // The team panel opens as a drawer inside the screen, and Escape closes it.
    await page.locator(".insights-toggle").click();
    await page.locator('.insights-toggle[aria-expanded="true"]').waitFor();
    await page.waitForFunction(() => {
      const box = document.querySelector("#insights")?.getBoundingClientRect();
      return box !== undefined && box.left >= 0 && box.right <= window.innerWidth + 0.5;
    });
    expect((await onScreen(page, "#insights")).visible).toBe(true);
    await page.getByTestId("team-graph").waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, "phone-team-drawer");
    await page.keyboard.press("Escape");
    await page.locator("#insights").waitFor({ state: "hidden" });

    // So does the conversation list; picking a conversation closes it.
    await page.getByRole("button", { name: "Conversations", exact: true }).click();
    await page.locator("#sidebar").waitFor({ state: "visible" });
    await page.waitForFunction(() => (document.querySelector("#sidebar")?.getBoundingClientRect().left ?? -1) >= 0);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.locator(".conversation-link").first().click();
    await page.locator("#sidebar").waitFor({ state: "hidden" });
    expect(errors).toEqual([]);
    await context.close();
  });

  it("closes the side panels when a desktop window is narrowed to phone width", async () => {
    const { page, context, errors } = await openApp(browser, platform.server.url, { viewport: { width: 1440, height: 900 } });
    expect((await onScreen(page, "#insights")).visible).toBe(true);
    expect((await onScreen(page, "#sidebar")).visible).toBe(true);

    // Record whether either panel covers the chat at any frame after the resize.
    await page.evaluate(() => {
      const covered: string[] = [];
      (window as unknown as { __covered: string[] }).__covered = covered;
      const check = (): void => {
        if (window.innerWidth > 640) return;
        for (const id of ["sidebar", "insights"]) {
          const element = document.getElementById(id);
          if (element === null) continue;
          const box = element.getBoundingClientRect();
          if (getComputedStyle(element).visibility !== "hidden" && box.right > 1 && box.left < window.innerWidth - 1 && !covered.includes(id)) {
            covered.push(id);
          }
        }
      };
      const frame = (): void => {
        check();
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    await page.setViewportSize(PHONE);
    await page.waitForFunction(() => window.innerWidth === 390 && document.querySelector(".app.sidebar-is-drawer.insights-is-drawer") !== null);
    await page.locator("#insights").waitFor({ state: "hidden" });
    await page.locator("#sidebar").waitFor({ state: "hidden" });
    // Until neither panel has a slide left to run, then two frames more: one sliding back in would
    // have started by then, and been recorded.
    await page.waitForFunction(() => {
      const panels = ["sidebar", "insights"].map((id) => document.getElementById(id));
      return document.getAnimations().every((animation) => {
        const target = animation.effect instanceof KeyframeEffect ? animation.effect.target : null;
        return target === null || !panels.includes(target as HTMLElement) || animation.playState !== "running";
      });
    });
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    expect(await page.evaluate(() => (window as unknown as { __covered: string[] }).__covered)).toEqual([]);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await page.locator(".scrim").count()).toBe(0);
    expect(await page.locator('.insights-toggle[aria-expanded="false"]').count()).toBe(1);
    await screenshot(page, "desktop-narrowed-to-phone");

    // And back: the desktop layout shows both panels again, without a drawer or a scrim.
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.waitForFunction(() => document.querySelector(".app.insights-visible:not(.insights-is-drawer):not(.sidebar-is-drawer)") !== null);
    expect((await onScreen(page, "#insights")).visible).toBe(true);
    expect((await onScreen(page, "#sidebar")).visible).toBe(true);
    expect(await page.locator(".scrim").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("asks for the access token when the page has none, and accepts it", async () => {
    const { page, context, errors } = await openApp(browser, platform.server.url, { signedIn: false });
    await page.getByTestId("token-screen").waitFor();
    await screenshot(page, "token-screen");
    await page.getByTestId("token-input").fill("not-the-right-token-at-all");
    await page.getByRole("button", { name: "Continue" }).click();
    // A wrong token comes back to this screen with the server's reason.
    await page.getByTestId("token-screen").locator('[role="alert"]').waitFor();
    await page.getByTestId("token-input").fill(TEST_TOKEN);
    await page.getByRole("button", { name: "Continue" }).click();
    await waitForConnected(page);
    expect(await page.getByTestId("token-screen").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
