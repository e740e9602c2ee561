/**
 * The browser client in a real headless Chromium against the real server, agents and Redis, on a
 * desktop-sized window: streaming answers, handoffs on the chat and the team graph, tool cards,
 * the run timeline, reloading, and agent output staying inert.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Event, EventOf } from "../../shared/events.js";
import {
  askAndWait,
  conversationIdOf,
  E2E_TEST_TIMEOUT_MS,
  ensureClientForTests,
  launchBrowser,
  loggedMessageIds,
  openApp,
  renderedMessageIds,
  screenshot,
  sendMessage,
  startConversation,
  UI_TIMEOUT_MS,
  waitForMessageIds,
  waitForTurn,
  type AppPage,
  type Turn,
} from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";

let platform: Platform;
let browser: Browser;
let app: AppPage;
let page: Page;

// A browser and the platform start here: slow on a loaded machine. Each playwright wait has its
// own UI_TIMEOUT_MS bound, below this one.
vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  // A delay per streamed word makes streaming and lit graph edges observable.
  [platform, browser] = await Promise.all([startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "30" } }), launchBrowser()]);
  app = await openApp(browser, platform.server.url);
  page = app.page;
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

const newConversation = (): Promise<string> => startConversation(page);
const ask = (text: string): Promise<Turn> => askAndWait(page, platform.api, text);

async function openConversation(conversationId: string): Promise<void> {
  await page.locator(`[data-conversation-id="${conversationId}"]`).click();
  await page.locator(`[data-conversation-id="${conversationId}"][aria-current="page"]`).waitFor();
  await waitForMessageIds(page, await loggedMessageIds(platform.api, conversationId));
}

function ofType<T extends Event["type"]>(events: Event[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}

const CALCULATION = "What is 17.5% of 2,480?";
let calculation: Promise<Turn> | undefined;
/**
 * The arithmetic question, asked once in a conversation opened (and joined) first, so its answer
 * streams in however slowly the page starts; later tests look at what it left on the page.
 */
const calculatorTurn = (): Promise<Turn> => (calculation ??= newConversation().then(() => ask(CALCULATION)));

describe("chatting with the team in the browser", () => {
  it("streams the answer in, then shows the calculator's final message", async () => {
    // Record every length the streaming bubble's text takes, from inside the page, as it renders.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { __streamLengths: number[] }).__streamLengths = seen;
      new MutationObserver(() => {
        const bubble = document.querySelector('[data-testid="streaming-message"] .markdown');
        const length = bubble?.textContent?.length ?? 0;
        if (length > 0 && seen.at(-1) !== length) seen.push(length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });

    const turn = calculatorTurn();
    // The bubble appears with the first words (waited for in the page, so even a fast stream counts).
    await page.waitForFunction(() => (window as unknown as { __streamLengths: number[] }).__streamLengths.length > 0, null, {
      timeout: UI_TIMEOUT_MS,
    });
    const { events } = await turn;

    const lengths = await page.evaluate(() => (window as unknown as { __streamLengths: number[] }).__streamLengths);
    expect(new Set(lengths).size, `lengths seen while streaming: ${lengths.join(", ")}`).toBeGreaterThanOrEqual(2);
    expect(Math.max(...lengths)).toBeGreaterThan(Math.min(...lengths));

    const final = page.locator('[data-testid="message"][data-agent="calculator"]');
    await expect.poll(() => final.count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    expect(await final.textContent()).toContain("434");
    const answer = ofType(events, "message.agent").find((event) => event.agent === "calculator");
    expect(await final.getAttribute("data-event-id")).toBe(answer?.id);
    expect(await page.getByTestId("streaming-message").count()).toBe(0);
    // The user's own message is there once, from the log (no leftover "sending" copy).
    const mine = page.locator('[data-testid="message"][data-agent="user"]');
    expect(await mine.count()).toBe(1);
    expect(await mine.getAttribute("data-pending")).toBeNull();
    expect(app.errors).toEqual([]);
  });

  it("shows handoffs in the chat and lights the team graph's edges as work moves", async () => {
    await newConversation();
    const transferEdge = page.locator('[data-testid="graph-edge"][data-from="manager"][data-to="calculator"]');
    await transferEdge.waitFor({ state: "attached" });
    expect(await transferEdge.getAttribute("data-active")).toBe("false");

    const transfer = sendMessage(page, "How much is 15 percent of 80?");
    await page.locator('[data-testid="graph-edge"][data-from="manager"][data-to="calculator"][data-active="true"]').waitFor();
    await screenshot(page, "team-graph-mid-handoff");
    const userEventId = await transfer;
    const row = page.locator('[data-testid="handoff"][data-kind="handoff"][data-from="manager"][data-to="calculator"]');
    await row.waitFor();
    expect((await row.innerText()).replace(/\s+/g, " ")).toContain("manager → calculator");
    expect(await row.getAttribute("data-mode")).toBe("transfer");
    const conversationId = conversationIdOf(page) as string;
    await waitForTurn(platform.api, conversationId, userEventId);
    await waitForMessageIds(page, await loggedMessageIds(platform.api, conversationId));
    // The edge goes dark again once the handoff is over.
    await page.locator('[data-testid="graph-edge"][data-from="manager"][data-to="calculator"][data-active="false"]').waitFor();

    // A delegation sends two tasks out at once: both edges light up together.
    await newConversation();
    const delegation = sendMessage(page, "convert 5 miles to km, and summarize how handoffs work");
    await page.waitForFunction(
      () =>
        ["calculator", "researcher"].every(
          (to) => document.querySelector(`[data-testid="graph-edge"][data-from="manager"][data-to="${to}"]`)?.getAttribute("data-active") === "true",
        ),
      null,
      { timeout: UI_TIMEOUT_MS },
    );
    const delegated = await delegation;
    const delegatedConversation = conversationIdOf(page) as string;
    const events = await waitForTurn(platform.api, delegatedConversation, delegated);
    await waitForMessageIds(page, await loggedMessageIds(platform.api, delegatedConversation));

    const handoffs = page.locator('[data-testid="handoff"][data-kind="handoff"]');
    expect(await handoffs.count()).toBe(2);
    expect(await handoffs.evaluateAll((rows) => rows.map((row) => row.getAttribute("data-mode")))).toEqual(["delegate", "delegate"]);
    expect((await page.locator(".handoff-group-title").innerText()).replace(/\s+/g, " ")).toBe("manager delegates 2 tasks in parallel");
    const returns = page.locator('[data-testid="handoff"][data-kind="return"]');
    await expect.poll(() => returns.count(), { timeout: UI_TIMEOUT_MS }).toBe(2);
    expect(await returns.evaluateAll((rows) => rows.map((row) => [row.getAttribute("data-to"), row.getAttribute("data-status")]))).toEqual([
      ["manager", "completed"],
      ["manager", "completed"],
    ]);
    expect(ofType(events, "handoff.return")).toHaveLength(2);
    const finalAnswer = page.locator('[data-testid="message"][data-agent="manager"]').last();
    expect(await finalAnswer.textContent()).toContain("8.04672");
    expect(await page.getByTestId("working-indicator").count()).toBe(0);
    await screenshot(page, "desktop-chat-delegation");
    expect(app.errors).toEqual([]);
  });

  it("opens a tool card to show the arguments and the result", async () => {
    const { conversationId, events } = await calculatorTurn();
    await openConversation(conversationId);
    const card = page.locator('[data-testid="tool-card"][data-tool="calculate"]');
    await card.waitFor();
    expect(await card.getAttribute("data-status")).toBe("ok");
    const toggle = card.locator("button.tool-toggle");
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    const body = card.locator(".tool-body");
    expect(await body.isVisible()).toBe(false);

    await toggle.click();
    await card.locator('button.tool-toggle[aria-expanded="true"]').waitFor();
    await body.waitFor({ state: "visible" });
    const call = ofType(events, "tool.call")[0];
    const result = ofType(events, "tool.result")[0];
    const [args, output] = await body.locator("pre").allTextContents();
    expect(JSON.parse(args ?? "")).toEqual(call?.data.args);
    expect(JSON.parse(output ?? "")).toEqual(result?.data.result);
    expect(output).toContain("434");
    expect(await body.textContent()).toMatch(/^Arguments[\s\S]*Result/);

    await toggle.click();
    await body.waitFor({ state: "hidden" });
  });

  it("shows the runs in the trace with their status, and a run's totals and steps when chosen", async () => {
    const { conversationId, events } = await calculatorTurn();
    await openConversation(conversationId);
    const timeline = page.getByTestId("run-timeline");
    const runs = timeline.getByTestId("run");
    await expect.poll(() => runs.count(), { timeout: UI_TIMEOUT_MS }).toBe(2);
    const described = await runs.evaluateAll((items) =>
      items.map((item) => ({ agent: item.getAttribute("data-agent"), status: item.getAttribute("data-status"), depth: item.getAttribute("data-depth") })),
    );
    // The calculator's run hangs under the manager's, which transferred to it.
    expect(described).toEqual([
      { agent: "manager", status: "completed", depth: "0" },
      { agent: "calculator", status: "completed", depth: "1" },
    ]);

    const completed = ofType(events, "run.completed");
    const tokens = completed.reduce((sum, event) => sum + event.data.usage.totalTokens, 0);
    expect(tokens).toBeGreaterThan(0);
    const tokenText = `${tokens.toLocaleString("en-US")} tokens`;
    // The offline model costs nothing, and the page says so rather than "$0.0000".
    expect(await timeline.locator(".run-overview").innerText()).toBe(`2 runs · ${tokenText} · free (offline model)`);
    expect(await page.locator(".chat-usage").innerText()).toBe(`${tokenText} · free (offline model)`);
    for (const run of completed) {
      await timeline.locator(`[data-testid="run"][data-run-id="${run.runId}"]`).click();
      const totals = timeline.locator(`[data-testid="run-details"][data-run-id="${run.runId}"] .run-totals`);
      expect((await totals.innerText()).replace(/\s+/g, " ")).toBe(
        `${Math.round(run.data.latencyMs).toLocaleString("en-US")} ms ${run.data.usage.totalTokens.toLocaleString("en-US")} tokens free (offline model)`,
      );
    }
    await timeline.locator('[data-testid="run"][data-agent="manager"]').click();
    expect(await timeline.getByTestId("run-details").innerText()).toContain("(transferred)");
    // The calculator's two model calls, the first one using the tool.
    await timeline.locator('[data-testid="run"][data-agent="calculator"]').click();
    const steps = timeline.locator('[data-testid="run-details"] [data-testid="run-step"]');
    expect(await steps.count()).toBe(2);
    expect(await steps.first().innerText()).toContain("calculate");
    await screenshot(page.locator("#insights"), "run-timeline");
    await page.getByTestId("back-to-trace").click();
  });

  it("shows the same history after a reload, nothing twice", async () => {
    const { conversationId } = await calculatorTurn();
    await openConversation(conversationId);
    const before = await renderedMessageIds(page);
    const logged = await loggedMessageIds(platform.api, conversationId);
    expect(before).toEqual(logged);

    await page.reload();
    expect(conversationIdOf(page)).toBe(conversationId);
    await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
    await waitForMessageIds(page, before);
    const after = await renderedMessageIds(page);
    expect(after).toEqual(before);
    expect(new Set(after).size).toBe(after.length);
    // Handoff rows and tool cards are not repeated either.
    const everyId = await page.$$eval(".chat-log [data-event-id]", (elements) => elements.map((element) => element.getAttribute("data-event-id")));
    expect(new Set(everyId).size).toBe(everyId.length);
    expect(await page.locator('[data-testid="handoff"]').count()).toBe(1);
    expect(await page.locator('[data-testid="tool-card"]').count()).toBe(1);
  });

  it("renders HTML and scripts in messages as inert text", async () => {
    const payload = "<img src=x onerror=alert(1)> <script>window.__pwned=1</script>";
    await newConversation();
    const { events } = await ask(`rewrite this more formally: ${payload}`);
    const answer = ofType(events, "message.agent").at(-1);
    expect(answer?.agent).toBe("writer");
    expect(answer?.data.text).toContain("<script>window.__pwned=1</script>");

    const user = page.locator('[data-testid="message"][data-agent="user"]');
    expect(await user.locator(".user-text").innerText()).toBe(`rewrite this more formally: ${payload}`);
    const written = page.locator('[data-testid="message"][data-agent="writer"]');
    expect(await written.innerText()).toContain("onerror=alert(1)> <script>window.__pwned=1</script>");
    // No element came out of the text: no image, no script, no event handler attribute anywhere in the chat.
    expect(await page.locator(".chat-log img").count()).toBe(0);
    expect(await page.locator(".chat-log script").count()).toBe(0);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator(".chat-log [onerror]").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(app.dialogs).toEqual([]);
    expect(app.errors).toEqual([]);
  });
});
