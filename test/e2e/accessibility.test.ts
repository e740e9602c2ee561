/**
 * axe-core on every view of the browser client, in a real headless Chromium: the token screen, a
 * new conversation's starters, a conversation with handoffs, a parallel delegation and an opened
 * tool card, the workflows list, a workflow's form and a run, the agents panel, and the chat at
 * phone size. None may have a serious or critical violation.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { seriousViolations } from "../support/axe.js";
import { askAndWait, E2E_TEST_TIMEOUT_MS, ensureClientForTests, launchBrowser, openApp, startConversation, type AppPage } from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";
import { approvalAsked } from "../support/workflow-client.js";

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

/** The page's serious and critical violations, named by view so a failure says where. */
async function expectAccessible(page: Page, view: string): Promise<void> {
  // Colours change with a transition (a theme switch, a hover): judge them where they end. A
  // transition that a newer one replaces is cancelled (its promise rejects): wait for the newer one.
  await page.evaluate(async () => {
    for (;;) {
      const running = document.getAnimations().filter((animation) => animation instanceof CSSTransition && animation.playState !== "finished");
      if (running.length === 0) return;
      await Promise.all(running.map((animation) => animation.finished.catch(() => undefined)));
    }
  });
  expect({ view, violations: await seriousViolations(page) }).toEqual({ view, violations: [] });
}

/** The app in a context that lets the test put axe-core into the page. */
const open = (options: Parameters<typeof openApp>[2] = {}): Promise<AppPage> => openApp(browser, platform.server.url, { bypassCSP: true, ...options });

describe("accessibility of every view (axe-core: no serious or critical violation)", () => {
  it("the token screen", async () => {
    const { page, context } = await open({ signedIn: false });
    await page.getByTestId("token-screen").waitFor();
    await expectAccessible(page, "token screen");
    await context.close();
  });

  it("a new conversation, its starters, and the conversation once answered", async () => {
    const { page, context, errors } = await open();
    await startConversation(page);
    await page.getByTestId("starter-prompt").first().waitFor();
    await expectAccessible(page, "empty conversation");

    await askAndWait(page, platform.api, "What is 17.5% of 2,480?");
    await page.locator('[data-testid="tool-card"] .tool-toggle').first().click();
    await page.locator('[data-testid="tool-card"] .tool-body').first().waitFor();
    await askAndWait(page, platform.api, "convert 5 miles to km, and summarize how handoffs work");
    await page.getByTestId("specialist-work").first().waitFor();
    await expectAccessible(page, "chat");
    await page.emulateMedia({ colorScheme: "dark" });
    await expectAccessible(page, "chat, dark theme");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("the workflows list, a workflow's form and the agents panel", async () => {
    const { page, context } = await open({ hash: "#/workflows" });
    await page.getByTestId("workflow-card").first().waitFor();
    await expectAccessible(page, "workflows list");
    await page.locator('[data-testid="workflow-card"] a').first().click();
    await page.getByTestId("workflow-start-form").waitFor();
    await expectAccessible(page, "workflow form");

    const toggle = page.getByTestId("agents-panel-toggle");
    await toggle.click();
    await page.getByTestId("agents-panel").waitFor({ state: "visible" });
    await page.locator('[data-testid="agent-row"]').first().waitFor();
    await expectAccessible(page, "agents panel");
    await context.close();
  });

  it("a workflow run waiting for approval, the runs list, and the dark theme", async () => {
    const started = await platform.api.request("POST", "/api/workflows/order-triage/runs", {
      input: { orderId: "4411", message: "The mug arrived broken, the handle came off in the box." },
    });
    expect(started.status).toBe(202);
    const run = started.body as { runId: string; conversationId: string };
    await platform.api.waitFor(run.conversationId, approvalAsked(run.runId), { what: `an approval in ${run.runId}` });

    const { page, context } = await open({ hash: `#/c/${run.conversationId}` });
    await page.locator(`[data-testid="workflow-run"][data-run-id="${run.runId}"]`).waitFor();
    await page.getByTestId("approval-card").first().waitFor();
    await expectAccessible(page, "workflow run with an approval");
    await page.emulateMedia({ colorScheme: "dark" });
    await expectAccessible(page, "workflow run with an approval, dark theme");

    await page.evaluate(() => {
      location.hash = "#/workflows";
    });
    await page.locator(`[data-testid="workflow-run-line"][data-run-id="${run.runId}"]`).waitFor();
    await expectAccessible(page, "workflows list with runs, dark theme");
    await page.emulateMedia({ colorScheme: "light" });
    await expectAccessible(page, "workflows list with runs");
    await context.close();
  });

  it("the chat at phone size", async () => {
    const { page, context } = await open({ viewport: PHONE, isMobile: true, hasTouch: true });
    await page.getByTestId("composer-input").waitFor();
    await expectAccessible(page, "phone, empty");
    await askAndWait(page, platform.api, "What is 2 + 2?");
    await expectAccessible(page, "phone, chat");
    await context.close();
  });
});
