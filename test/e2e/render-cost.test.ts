/**
 * What re-renders while an answer streams (issue #11), in a real headless Chromium against the real
 * server, agents and Redis: the streaming bubble renders as its text grows, and nothing else does —
 * not the page around the chat (the workspace, which reads the conversation without its streamed
 * text), the conversation list, the agents panel (mounted while hidden), the team graph and list, the
 * run timeline, the chat's list of items, nor the messages already shown; and the bubble renders at
 * most once an animation frame, however many pieces the frame brought. Renders are counted
 * (client/src/render-count.ts), not timed, so a slow machine neither fails nor passes it.
 */
import OpenAI from "openai";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createChatCompletionsFetch } from "../../agents/model/chat-completions-fetch.js";
import { askAndWait, E2E_TEST_TIMEOUT_MS, ensureClientForTests, launchBrowser, openApp, sendMessage, startConversation, UI_TIMEOUT_MS } from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";

type Counts = Record<string, number>;

const LONG_PROMPT = "Write the long report.";
/** Enough words that the window below (40 renders of the bubble) closes well before the answer ends. */
const LONG_ANSWER = Array.from({ length: 400 }, (_, index) => (index % 40 === 39 ? "word.\n\n" : "word")).join(" ");
/** Renders of the bubble between the two snapshots: each is a streamed piece of text. */
const WINDOW = 40;
/** What may re-render in that window for reasons of its own (a clock tick, the new title read once). */
const SLACK = 2;
/** Everything that must not re-render per streamed piece. */
const STEADY = ["workspace", "conversation-list", "agents-panel", "team-graph", "team-list", "run-timeline", "chat-items", "message"];
/** The run timeline has a clock of its own while a run works (live spans grow): a render a second. */
const TICKING = new Set(["run-timeline"]);

let platform: Platform;
let browser: Browser;
let page: Page;

vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  // The scripted model's wire protocol, paced: the long answer streams a word every 15 ms.
  const model = new OpenAI({
    apiKey: "scripted",
    baseURL: "http://scripted.switchboard/v1",
    maxRetries: 0,
    fetch: createChatCompletionsFetch({
      delayMs: 15,
      modelId: "scripted",
      reply: (request) => {
        const asked = JSON.stringify(request.messages.at(-1)?.content ?? "");
        const content = asked.includes(LONG_PROMPT) ? LONG_ANSWER : "Noted, with **care**.";
        return { content, toolCalls: [], usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } };
      },
    }),
  });
  [platform, browser] = await Promise.all([startPlatform({ model }), launchBrowser()]);
  for (let index = 0; index < 5; index++) await platform.api.createConversation();
  page = (
    await openApp(browser, platform.server.url, {
      beforeOpen: async (context) => {
        await context.addInitScript(() => {
          const counts: Counts = {};
          (window as unknown as { __switchboardRenders: Counts }).__switchboardRenders = counts;
          // The page's animation frames, counted beside the renders.
          const frame = (): void => {
            counts.frames = (counts.frames ?? 0) + 1;
            requestAnimationFrame(frame);
          };
          requestAnimationFrame(frame);
        });
      },
    })
  ).page;
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

/** The render counts (and the page's clock, `at`) when the bubble has rendered `renders` times, read in the page. */
async function countsWhenBubbleRendered(renders: number): Promise<Counts> {
  const handle = await page.waitForFunction(
    (wanted) => {
      const counts = (window as unknown as { __switchboardRenders: Counts }).__switchboardRenders;
      return (counts["streaming-message"] ?? 0) >= wanted ? { ...counts, at: performance.now() } : false;
    },
    renders,
    { timeout: UI_TIMEOUT_MS },
  );
  return (await handle.jsonValue()) as Counts;
}

describe("rendering while an answer streams", () => {
  it("re-renders the streaming bubble per piece of text and nothing else", async () => {
    await startConversation(page);
    await askAndWait(page, platform.api, "First question");
    await askAndWait(page, platform.api, "Second question");
    await expect.poll(() => page.locator('[data-testid="message"]').count()).toBe(4);
    // Every counted component has rendered at least once (so a count that stays still means something).
    const settled = await page.evaluate(() => ({ ...(window as unknown as { __switchboardRenders: Counts }).__switchboardRenders }));
    for (const name of STEADY) expect(settled[name], name).toBeGreaterThan(0);

    await sendMessage(page, LONG_PROMPT);
    const before = await countsWhenBubbleRendered(5);
    const after = await countsWhenBubbleRendered((before["streaming-message"] ?? 0) + WINDOW);
    const grew = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);

    expect(grew("streaming-message")).toBeGreaterThanOrEqual(WINDOW);
    // Pieces that arrive within one frame render once (client/src/store.ts coalesces them).
    expect(grew("streaming-message")).toBeLessThanOrEqual(grew("frames") + SLACK);
    const seconds = Math.ceil(grew("at") / 1000);
    const allowed = (name: string) => SLACK + (TICKING.has(name) ? seconds : 0);
    const steady = Object.fromEntries(STEADY.map((name) => [name, grew(name)]));
    expect(
      STEADY.filter((name) => grew(name) > allowed(name)),
      `renders while ${grew("streaming-message")} pieces streamed: ${JSON.stringify(steady)}`,
    ).toEqual([]);

    // The answer still ends as the logged message: the bubble goes, its text stays.
    await page.getByTestId("streaming-message").waitFor({ state: "detached" });
    await expect.poll(() => page.locator('[data-testid="message"]').count()).toBe(6);
  });
});
