/**
 * The run trace in a real headless Chromium against the real server, agents and Redis, with a
 * scripted model: a manager delegates two tasks at once, and the trace draws the two runs as
 * overlapping spans under the manager's; a step opens to what the model was sent and answered;
 * choosing a run takes the chat to its place, and "Back to trace" returns to the run.
 */
import OpenAI from "openai";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { defineAgent } from "../../agents/define-agent.js";
import { createChatCompletionsFetch, type ModelReply } from "../../agents/model/chat-completions-fetch.js";
import { askAndWait, E2E_TEST_TIMEOUT_MS, ensureClientForTests, launchBrowser, openApp, screenshot, startConversation, type Turn } from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";

const MANAGER = "You are the manager of this test.";
const ALPHA = "You are alpha: you answer part A.";
const BETA = "You are beta: you answer part B.";
const REPORT = "Write the long report.";

const usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
const say = (content: string): ModelReply => ({ content, toolCalls: [], usage });
/** Enough words, paced, that both delegated runs are at work at the same time. */
const words = (what: string) => Array.from({ length: 12 }, () => what).join(" ");

function reply(request: Parameters<Parameters<typeof createChatCompletionsFetch>[0]["reply"]>[0]): ModelReply {
  const system = request.messages[0]?.content;
  const last = request.messages.at(-1);
  if (system === ALPHA) return say(`Alpha result: ${words("alpha")}`);
  if (system === BETA) return say(`Beta result: ${words("beta")}`);
  if (last?.role === "tool") return say("Both parts are done: alpha and beta answered.");
  if (last?.role === "user" && last.content === REPORT) {
    return say(Array.from({ length: 40 }, (_, index) => `Paragraph ${index + 1} of the long report.`).join("\n\n"));
  }
  const tasks = [
    { agent: "alpha", task: "Answer part A.", reason: "alpha knows A" },
    { agent: "beta", task: "Answer part B.", reason: "beta knows B" },
  ];
  return { content: null, toolCalls: [{ id: "call_delegate", name: "delegate", arguments: JSON.stringify({ tasks }) }], usage };
}

let platform: Platform;
let browser: Browser;
let page: Page;
let delegation: Turn;

vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  const model = new OpenAI({
    apiKey: "scripted",
    baseURL: "http://scripted.switchboard/v1",
    maxRetries: 0,
    fetch: createChatCompletionsFetch({ delayMs: 20, modelId: "scripted", reply }),
  });
  const team = [
    defineAgent({ name: "manager", description: "Splits the work.", instructions: MANAGER, handoffs: ["alpha", "beta"] }),
    defineAgent({ name: "alpha", description: "Answers part A.", instructions: ALPHA }),
    defineAgent({ name: "beta", description: "Answers part B.", instructions: BETA }),
  ];
  [platform, browser] = await Promise.all([startPlatform({ model, team }), launchBrowser()]);
  page = (await openApp(browser, platform.server.url)).page;
  await startConversation(page);
  delegation = await askAndWait(page, platform.api, "Answer parts A and B.");
  // A long answer after it: the delegation's place in the chat is now far above the fold.
  await askAndWait(page, platform.api, REPORT);
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

const timeline = () => page.getByTestId("run-timeline");
const row = (agent: string) => timeline().locator(`[data-testid="run"][data-agent="${agent}"]`).first();

describe("the run trace", () => {
  it("draws two parallel delegations as overlapping spans nested under the manager", async () => {
    const managerRunId = delegation.events.find((event) => event.type === "run.started" && event.agent === "manager")?.runId;
    const manager = timeline().locator(`[data-testid="run"][data-run-id="${managerRunId}"]`);
    await manager.waitFor();
    expect(await manager.getAttribute("data-depth")).toBe("0");
    expect(await row("alpha").getAttribute("data-depth")).toBe("1");
    expect(await row("beta").getAttribute("data-depth")).toBe("1");
    // The children come right after their manager in the tree (in the order they started), each named for screen readers.
    const order = await timeline().getByTestId("run").evaluateAll((items) => items.map((item) => item.getAttribute("data-agent")));
    expect(order[0]).toBe("manager");
    expect(order.slice(1, 3).sort()).toEqual(["alpha", "beta"]);
    expect(await row("alpha").getAttribute("aria-label")).toMatch(/^alpha, delegate, completed in /);
    expect(await row("alpha").getAttribute("role")).toBe("treeitem");
    expect(await row("alpha").getAttribute("aria-level")).toBe("2");

    const box = async (agent: string, runId?: string) => {
      const target = runId ? timeline().locator(`[data-testid="run"][data-run-id="${runId}"]`) : row(agent);
      const found = await target.getByTestId("run-span").boundingBox();
      if (found === null) throw new Error(`no span drawn for ${agent}`);
      return { start: found.x, end: found.x + found.width };
    };
    const [boss, alpha, beta] = [await box("manager", managerRunId), await box("alpha"), await box("beta")];
    // Both were at work at the same time: their spans overlap, within the manager's.
    expect(alpha.start).toBeLessThan(beta.end);
    expect(beta.start).toBeLessThan(alpha.end);
    for (const child of [alpha, beta]) {
      expect(child.start).toBeGreaterThanOrEqual(boss.start - 1);
      expect(child.end).toBeLessThanOrEqual(boss.end + 1);
    }
    await screenshot(page.locator("#insights"), "run-trace");
  });

  it("opens a step to show the messages sent to the model and its answer", async () => {
    await row("alpha").click();
    const details = timeline().getByTestId("run-details");
    await details.waitFor();
    await details.getByTestId("run-step").first().getByRole("button").click();
    const detail = details.getByTestId("step-detail");
    await detail.waitFor();
    const messages = detail.getByTestId("step-message");
    expect(await messages.evaluateAll((items) => items.map((item) => item.getAttribute("data-role")))).toEqual(["system", "user"]);
    expect(await messages.nth(0).innerText()).toContain(ALPHA);
    expect(await messages.nth(1).innerText()).toContain("Answer part A.");
    expect(await detail.getByTestId("step-answer").innerText()).toContain("Alpha result: alpha alpha");
    expect(await detail.getByTestId("step-answer").innerText()).toContain("finish: stop");
  });

  it("moves through the runs with the keyboard and chooses one with Enter", async () => {
    const manager = row("manager");
    await manager.focus();
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-agent"));
    await page.keyboard.press("ArrowRight");
    const first = await focused();
    expect(["alpha", "beta"]).toContain(first);
    await page.keyboard.press("ArrowDown");
    const second = await focused();
    expect(["alpha", "beta"].filter((agent) => agent !== first)).toEqual([second]);
    await page.keyboard.press("ArrowLeft");
    expect(await focused()).toBe("manager");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    expect(await timeline().locator(`[data-testid="run"][data-agent="${first}"]`).getAttribute("aria-selected")).toBe("true");
    expect(await timeline().getByTestId("run-details").getAttribute("aria-label")).toBe(`Run of ${first}`);
    await page.getByTestId("back-to-trace").click();
  });

  it("takes the chat to a run's message and back to the trace", async () => {
    const scroller = page.locator(".chat-scroll");
    const target = page.locator(".chat-scroll .is-jump-target");
    const inView = () =>
      target.evaluate((element) => {
        const container = document.querySelector(".chat-scroll") as HTMLElement;
        const [box, frame] = [element.getBoundingClientRect(), container.getBoundingClientRect()];
        return box.bottom > frame.top && box.top < frame.bottom;
      });
    // The chat follows the newest message: the long report fills it, the delegation is above the fold.
    const bottom = await scroller.evaluate((element) => {
      element.scrollTo({ top: element.scrollHeight });
      return element.scrollTop;
    });
    expect(bottom).toBeGreaterThan(0);

    await row("alpha").click();
    await target.waitFor();
    await expect.poll(inView).toBe(true);
    expect(await scroller.evaluate((element) => element.scrollTop)).toBeLessThan(bottom);
    expect(await target.innerText()).toContain("Alpha result");

    await page.getByTestId("back-to-trace").click();
    await target.waitFor({ state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-agent"))).toBe("alpha");
  });
});
