/**
 * The team graph and "Try it" in a real headless Chromium against the real server, agents and
 * Redis: choosing a node filters the run trace to that agent and shows its row in the agents
 * panel while the graph stays in view; "Try it" opens a conversation whose messages go straight
 * to one agent; and a 30-agent team with 32-character names is all reachable, clickable and
 * readable (no two labels overlap on screen, none drawn smaller than 9 px; the graph's box
 * scrolls rather than shrink them).
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
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
let app: AppPage;
let page: Page;

vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  [platform, browser] = await Promise.all([startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "5" } }), launchBrowser()]);
  app = await openApp(browser, platform.server.url);
  page = app.page;
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

const node = (name: string) => page.locator(`[data-testid="graph-node"][data-agent="${name}"]`);
const row = (name: string) => page.locator(`[data-testid="agent-row"][data-agent="${name}"]`);

/** The element's box lies inside the window (and so is on screen, not scrolled away), to a pixel's rounding. */
const inWindow = (selector: string): Promise<boolean> =>
  page.evaluate((target) => {
    const box = document.querySelector(target)?.getBoundingClientRect();
    return box !== undefined && box.height > 0 && box.top >= -1 && box.bottom <= window.innerHeight + 1 && box.left >= -1 && box.right <= window.innerWidth + 1;
  }, selector);

/** Waits until the element is scrolled into the window. */
const cameIntoView = (selector: string) =>
  page.waitForFunction((target) => {
    const box = document.querySelector(target)?.getBoundingClientRect();
    return box !== undefined && box.height > 0 && box.top >= -1 && box.bottom <= window.innerHeight + 1;
  }, selector);

async function openAgentsPanel(): Promise<void> {
  const toggle = page.getByTestId("agents-panel-toggle");
  if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click();
  await page.getByTestId("agents-panel").waitFor({ state: "visible" });
}

describe("the team graph", () => {
  it("filters the trace to a chosen agent and shows it in the agents panel, the graph staying in view", async () => {
    await startConversation(page);
    const turn = await askAndWait(page, platform.api, "What is 2 + 3?");
    const ran = new Set(turn.events.filter((event) => event.type === "run.started").map((event) => event.agent));
    expect(ran).toContain("calculator");
    expect(ran).toContain("manager");

    await node("calculator").click();
    await row("calculator").and(page.locator('[data-highlighted="true"]')).waitFor({ state: "visible" });
    await cameIntoView('[data-testid="agent-row"][data-agent="calculator"]');
    expect(await node("calculator").getByRole("button").getAttribute("aria-pressed")).toBe("true");
    // The agents panel scrolls under the graph; the graph does not move.
    await page.locator(".insights-scroll").evaluate((element) => element.scrollTo(0, element.scrollHeight));
    expect(await inWindow('[data-testid="team-graph"]')).toBe(true);
    await screenshot(page, "team-graph-chosen-agent");

    // Back to the trace: only the calculator's runs, under a chip that says so.
    await page.getByRole("button", { name: "Team & runs" }).click();
    const chip = page.getByTestId("trace-filter");
    await chip.waitFor({ state: "visible" });
    expect((await chip.innerText()).replace(/\s+/g, " ")).toContain("agent: calculator");
    const agents = () => page.locator('[data-testid="run"]').evaluateAll((rows) => rows.map((element) => element.getAttribute("data-agent")));
    expect(new Set(await agents())).toEqual(new Set(["calculator"]));

    // The keyboard chooses too: Enter on the manager's node.
    await node("manager").getByRole("button").focus();
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Team & runs" }).click();
    await page.getByText("agent: manager").waitFor();
    expect(new Set(await agents())).toEqual(new Set(["manager"]));

    await page.getByRole("button", { name: "Remove the filter agent: manager" }).click();
    await chip.waitFor({ state: "detached" });
    expect(new Set(await agents())).toEqual(ran);
  });
});

describe("Try it", () => {
  it("opens a conversation whose messages go to that agent directly, and says so", async () => {
    const before = conversationIdOf(page);
    const composer = page.getByTestId("composer-input");
    expect(await composer.getAttribute("placeholder")).toBe("Message the team…");
    await openAgentsPanel();
    await row("calculator").getByTestId("try-agent").click();
    await page.waitForFunction((previous) => /#\/c\/([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1] !== previous, before ?? null);
    const header = page.getByTestId("direct-agent");
    await header.waitFor({ state: "visible" });
    expect((await header.innerText()).replace(/\s+/g, " ")).toBe("Talking to calculator directly");
    // The message box says who reads it.
    expect(await composer.getAttribute("placeholder")).toBe("Message calculator…");
    await page.getByLabel("Message calculator", { exact: true }).waitFor();
    // The manager has no "Try it": every message reaches it anyway.
    expect(await row("manager").getByTestId("try-agent").count()).toBe(0);

    const turn = await askAndWait(page, platform.api, "What is 12 * 12?");
    expect(turn.events.filter((event) => event.type === "run.started").map((event) => event.agent)).toEqual(["calculator"]);
    const answers = page.locator('[data-testid="message"]:not([data-agent="user"])');
    expect(await answers.evaluateAll((elements) => elements.map((element) => element.getAttribute("data-agent")))).toEqual(["calculator"]);
    expect(await answers.first().innerText()).toContain("144");
    await screenshot(page, "try-agent-directly");
  });
});

describe("a team of 30", () => {
  it("shows every agent in the graph's view, each node clickable, no two labels overlapping and every label readable", async () => {
    const team = (await platform.api.request("GET", "/api/agents")).body.agents as { name: string }[];
    const added: string[] = [];
    for (let index = team.length; index < 30; index += 1) {
      const name = `specialist-${String(index).padStart(2, "0")}-${"w".repeat(18)}`;
      expect(name).toHaveLength(32);
      const created = await platform.api.request("POST", "/api/agents", {
        name,
        description: `Answers questions of kind ${index} for the graph test.`,
        instructions: "Answer briefly.",
      });
      expect(created.status).toBe(201);
      added.push(name);
    }
    await page.reload();
    await page.locator('[data-testid="graph-node"]').nth(29).waitFor({ state: "visible" });
    expect(await page.locator('[data-testid="graph-node"]').count()).toBe(30);

    const report = await page.evaluate(() => {
      type P = { x: number; y: number };
      const svg = document.querySelector<SVGSVGElement>('[data-testid="team-graph"]');
      const box = document.querySelector('[data-testid="team-graph-view"]');
      if (svg === null || box === null) return { problems: ["no graph"], nodes: 0 };
      const problems: string[] = [];
      const nodes = [...svg.querySelectorAll<SVGGElement>('[data-testid="graph-node"]')];
      for (const element of nodes) {
        const name = element.getAttribute("data-agent");
        // A node outside the box is a scroll away, as focusing it with the keyboard would bring it.
        element.querySelector('[data-testid="graph-node-circle"]')?.scrollIntoView({ block: "nearest", inline: "nearest" });
        const view = box.getBoundingClientRect();
        const circle = element.querySelector('[data-testid="graph-node-circle"]')?.getBoundingClientRect();
        if (circle === undefined) {
          problems.push(`${name}: no circle`);
          continue;
        }
        const inside = (box: DOMRect, outer: { left: number; top: number; right: number; bottom: number }) =>
          box.left >= outer.left - 0.5 && box.top >= outer.top - 0.5 && box.right <= outer.right + 0.5 && box.bottom <= outer.bottom + 0.5;
        if (!inside(circle, view)) problems.push(`${name}: outside the graph`);
        if (!inside(circle, { left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight })) problems.push(`${name}: off screen`);
        const hit = document.elementFromPoint(circle.left + circle.width / 2, circle.top + circle.height / 2);
        if (hit?.closest('[data-testid="graph-node"]') !== element) problems.push(`${name}: covered by ${hit?.closest("[data-agent]")?.getAttribute("data-agent")} ${hit?.outerHTML.slice(0, 200)}`);
      }
      const corners = [...svg.querySelectorAll<SVGTextElement>('[data-testid="graph-node-label"]')].map((label) => {
        const box = label.getBBox();
        const matrix = label.getScreenCTM();
        const shown = parseFloat(getComputedStyle(label).fontSize) * (matrix === null ? 0 : Math.hypot(matrix.a, matrix.b));
        if (shown < 8.95) problems.push(`label "${label.textContent ?? ""}" drawn at ${shown.toFixed(1)} px`);
        const at = (x: number, y: number): P => {
          const point = new DOMPoint(x, y).matrixTransform(matrix ?? undefined);
          return { x: point.x, y: point.y };
        };
        return {
          name: label.textContent ?? "",
          points: [at(box.x, box.y), at(box.x + box.width, box.y), at(box.x + box.width, box.y + box.height), at(box.x, box.y + box.height)],
        };
      });
      // Separating axes: two convex boxes are apart when one of their edges' normals separates them.
      const apart = (a: P[], b: P[]): boolean =>
        [a, b].some((polygon) =>
          polygon.some((p, i) => {
            const q = polygon[(i + 1) % polygon.length] as P;
            const axis = { x: q.y - p.y, y: p.x - q.x };
            const pa = a.map((point) => point.x * axis.x + point.y * axis.y);
            const pb = b.map((point) => point.x * axis.x + point.y * axis.y);
            return Math.max(...pa) <= Math.min(...pb) || Math.max(...pb) <= Math.min(...pa);
          }),
        );
      for (let i = 0; i < corners.length; i += 1) {
        for (let j = i + 1; j < corners.length; j += 1) {
          const a = corners[i];
          const b = corners[j];
          if (a !== undefined && b !== undefined && !apart(a.points, b.points)) problems.push(`labels "${a.name}" and "${b.name}" overlap`);
        }
      }
      return { problems, nodes: nodes.length, labels: corners.length };
    });
    expect(report).toEqual({ problems: [], nodes: 30, labels: 30 });
    await screenshot(page.getByTestId("team-graph"), "team-graph-30-agents");

    // A cut name is whole in the node's tooltip and accessible name; choosing it finds its row.
    const last = added.at(-1) ?? "";
    expect(await node(last).locator("title").textContent()).toBe(last);
    await page.getByRole("button", { name: `${last}: show its runs and open it in the agents panel` }).click();
    await row(last).and(page.locator('[data-highlighted="true"]')).waitFor({ state: "visible" });
    await cameIntoView(`[data-testid="agent-row"][data-agent="${last}"]`);
    expect(await inWindow('[data-testid="team-graph-view"]')).toBe(true);
  });
});
