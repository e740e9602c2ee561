/**
 * Any server behind any balancer, in a real headless Chromium: two servers on one Redis behind a
 * round-robin balancer with no sticky sessions. The page connects over WebSocket (its one handshake
 * request is the whole session), and a turn asked on one server streams live to a page on the
 * other. Where WebSocket cannot get through, the page falls back to long polling; and long polling
 * is what needs stickiness, as the last test shows.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../platform/logger.js";
import { startServer, type RunningServer } from "../../server/server-process.js";
import {
  askAndWait,
  E2E_TEST_TIMEOUT_MS,
  ensureClientForTests,
  launchBrowser,
  loggedMessageIds,
  openApp,
  startConversation,
  UI_TIMEOUT_MS,
  waitForMessageIds,
} from "../support/browser.js";
import { startPlatform, TEST_TOKEN, testRedis, type Platform } from "../support/harness.js";
import { startRoundRobinBalancer, type BackendTraffic, type RoundRobinBalancer } from "../support/round-robin-balancer.js";

let platform: Platform;
let second: RunningServer;
let browser: Browser;
const balancers: RoundRobinBalancer[] = [];

vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  // Slow words, so an answer streams for long enough to be seen growing.
  [platform, browser] = await Promise.all([startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "30" } }), launchBrowser()]);
  second = await startServer({ config: platform.config, redis: testRedis(), log: createLogger("silent") });
});

afterEach(async () => {
  for (const balancer of balancers.splice(0)) await balancer.close();
});

afterAll(async () => {
  await browser?.close();
  await second?.close();
  await platform?.close();
});

async function balancer(backends: string[], upgrades: "pass" | "refuse" | "swallow" = "pass"): Promise<RoundRobinBalancer> {
  const started = await startRoundRobinBalancer({ backends, upgrades });
  balancers.push(started);
  return started;
}

const QUESTION = "Summarize how handoffs work";

const sum = (traffic: BackendTraffic[], field: keyof BackendTraffic): number => traffic.reduce((total, counts) => total + counts[field], 0);

/** Records, from inside the page, every length the streaming answer's text takes. */
function recordStreaming(page: Page): Promise<void> {
  return page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { __streamLengths: number[] }).__streamLengths = seen;
    new MutationObserver(() => {
      const length = document.querySelector('[data-testid="streaming-message"] .markdown')?.textContent?.length ?? 0;
      if (length > 0 && seen.at(-1) !== length) seen.push(length);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

const streamedLengths = (page: Page): Promise<number[]> => page.evaluate(() => (window as unknown as { __streamLengths: number[] }).__streamLengths);

describe("behind a round-robin balancer without sticky sessions", () => {
  it("connects over WebSocket, and a turn asked on one server streams live to a page on the other", async () => {
    const lb = await balancer([platform.server.url, second.url]);
    const asking = await openApp(browser, lb.url);
    const conversationId = await startConversation(asking.page);
    const watching = await openApp(browser, lb.url, { hash: `#/c/${conversationId}` });
    await watching.page.locator(`[data-conversation-id="${conversationId}"][aria-current="page"]`).waitFor();

    // One live WebSocket per page, one on each server (an attempt that timed out on a slow
    // machine closes); no long polling at all. The pages' REST requests went to both servers in turn.
    await expect.poll(() => lb.traffic.map((counts) => counts.openWebsockets), { timeout: UI_TIMEOUT_MS }).toEqual([1, 1]);
    expect(sum(lb.traffic, "polls")).toBe(0);
    expect(lb.traffic.every((counts) => counts.requests > 0)).toBe(true);

    await recordStreaming(watching.page);
    const turn = await askAndWait(asking.page, platform.api, QUESTION);

    // The page on the other server saw the answer grow word by word, then shows the whole log.
    const lengths = await streamedLengths(watching.page);
    expect(new Set(lengths).size, `lengths seen while streaming: ${lengths.join(", ")}`).toBeGreaterThanOrEqual(2);
    await waitForMessageIds(watching.page, await loggedMessageIds(platform.api, turn.conversationId));
    const answer = turn.events.find((event) => event.type === "message.agent");
    expect(await watching.page.locator(`[data-testid="message"][data-event-id="${answer?.id}"]`).textContent()).toContain("docs/handoffs.md");
    expect(sum(lb.traffic, "polls")).toBe(0);
    expect([...asking.errors, ...watching.errors]).toEqual([]);
    await asking.context.close();
    await watching.context.close();
  });
});

describe("behind a proxy that does not pass WebSocket through", () => {
  // Refused: the attempt moves on to long polling at once. Swallowed: the attempt times out
  // (10 s) and the next one starts with long polling.
  it.each([
    { upgrades: "refuse", what: "refuses" },
    { upgrades: "swallow", what: "swallows" },
  ] as const)("falls back to long polling when the proxy $what the upgrade: the page connects and a turn streams in", async ({ upgrades }) => {
    const proxy = await balancer([platform.server.url], upgrades);
    const app = await openApp(browser, proxy.url);
    const [traffic] = proxy.traffic as [BackendTraffic];
    expect(proxy.blockedUpgrades).toBeGreaterThanOrEqual(1);
    expect(traffic.websockets).toBe(0);
    expect(traffic.polls).toBeGreaterThan(0);

    await startConversation(app.page);
    await recordStreaming(app.page);
    const turn = await askAndWait(app.page, platform.api, QUESTION);
    const lengths = await streamedLengths(app.page);
    expect(new Set(lengths).size, `lengths seen while streaming: ${lengths.join(", ")}`).toBeGreaterThanOrEqual(2);
    const answer = turn.events.find((event) => event.type === "message.agent");
    expect(await app.page.locator(`[data-testid="message"][data-event-id="${answer?.id}"]`).textContent()).toContain("docs/handoffs.md");
    expect(traffic.websockets).toBe(0);
    expect(app.errors).toEqual([]);
    await app.context.close();
  });

  it("cannot stay connected over long polling when the balancer is not sticky", async () => {
    const lb = await balancer([platform.server.url, second.url], "refuse");
    const context = await browser.newContext();
    // Every state the connection indicator takes, from the first render on.
    await context.addInitScript(() => {
      const states: string[] = [];
      (window as unknown as { __states: string[] }).__states = states;
      new MutationObserver(() => {
        const state = document.querySelector('[data-testid="connection-status"]')?.getAttribute("data-state");
        if (state && states.at(-1) !== state) states.push(state);
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
    });
    const page = await context.newPage();
    await page.goto(`${lb.url}/?token=${TEST_TOKEN}`);

    // Each attempt opens a session on one server and sends its next request to the other, which
    // does not know the session and refuses it: the page keeps trying and never gets through.
    await expect.poll(() => sum(lb.traffic, "unknownSessions"), { timeout: UI_TIMEOUT_MS }).toBeGreaterThanOrEqual(3);
    const states = await page.evaluate(() => (window as unknown as { __states: string[] }).__states);
    expect(states).not.toContain("connected");
    expect(await page.getByTestId("connection-status").getAttribute("data-state")).toBe("reconnecting");
    await context.close();
  });
});
