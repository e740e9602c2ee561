/**
 * The agents panel in a real headless Chromium against the real server, agents and Redis: the
 * team with its live state, adding a specialist through the form and chatting with it at once,
 * refusals shown next to the form, disabling and deleting, a phone-sized screen, and a token that
 * may look but not change.
 */
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Event, EventOf } from "../../shared/events.js";
import {
  askAndWait,
  E2E_TEST_TIMEOUT_MS,
  ensureClientForTests,
  horizontalOverflow,
  launchBrowser,
  openApp,
  screenshot,
  startConversation,
  waitForConnected,
  type AppPage,
} from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";

const ALICE = "alice-token-0123456789";
const PHONE = { width: 390, height: 844 };
const BUILT_IN = ["manager", "calculator", "researcher", "writer"];
const POET = {
  name: "poet",
  description: "Writes haiku poems and short verses about any topic.",
  instructions: "Answer with a haiku.",
};

let platform: Platform;
let browser: Browser;
let app: AppPage;
let page: Page;

// A browser and the platform start here: slow on a loaded machine. Each playwright wait has its
// own UI_TIMEOUT_MS bound, below this one.
vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  [platform, browser] = await Promise.all([
    startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "5", SWITCHBOARD_USERS: `alice:${ALICE}` } }),
    launchBrowser(),
  ]);
  app = await openApp(browser, platform.server.url);
  page = app.page;
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

const panelOf = (target: Page): Locator => target.getByTestId("agents-panel");
const rowOf = (target: Page, name: string): Locator => target.locator(`[data-testid="agent-row"][data-agent="${name}"]`);
const formOf = (target: Page): Locator => target.getByTestId("agent-form");
const text = async (locator: Locator): Promise<string> => (await locator.innerText()).replace(/\s+/g, " ");

async function openPanel(target: Page): Promise<void> {
  const toggle = target.getByTestId("agents-panel-toggle");
  if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click();
  await panelOf(target).waitFor({ state: "visible" });
}

/** Waits until the panel's (polled) row says at least one worker runs the agent. */
async function waitForWorker(target: Page, name: string): Promise<void> {
  await target.waitForFunction(
    (agent) => Number(document.querySelector(`[data-testid="agent-row"][data-agent="${agent}"]`)?.getAttribute("data-workers") ?? "0") >= 1,
    name,
  );
}

async function teamNames(): Promise<string[]> {
  const { body } = await platform.api.request("GET", "/api/agents");
  return (body.agents as { name: string }[]).map((agent) => agent.name);
}

const handoffsTo = (events: Event[], to: string): EventOf<"handoff">[] =>
  events.filter((event): event is EventOf<"handoff"> => event.type === "handoff" && event.data.to === to);

describe("the agents panel", () => {
  it("opens from the header and lists every agent with its live state", async () => {
    const toggle = page.getByTestId("agents-panel-toggle");
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    // Keyboard reachable: focus the labelled control and press Enter.
    await toggle.focus();
    await page.keyboard.press("Enter");
    await panelOf(page).waitFor({ state: "visible" });
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    // Focus moves into the panel, to its heading.
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="agents-panel"]') !== null)).toBe(true);

    for (const name of BUILT_IN) await waitForWorker(page, name);
    const rows = panelOf(page).getByTestId("agent-row");
    expect(await rows.evaluateAll((items) => items.map((item) => item.getAttribute("data-agent")))).toEqual(BUILT_IN);
    for (const name of BUILT_IN) {
      const row = rowOf(page, name);
      expect(await row.getAttribute("data-enabled")).toBe("true");
      const said = await text(row);
      expect(said).toContain("Defined in code");
      expect(said).toMatch(/Workers ?\d/i);
      expect(said).toMatch(/Waiting ?0/i);
      expect(said).toMatch(/Last active/i);
    }
    // The manager can be edited but not switched off or deleted, and says why.
    const manager = rowOf(page, "manager");
    expect(await manager.getByTestId("edit-agent").count()).toBe(1);
    expect(await manager.getByTestId("toggle-agent").count()).toBe(0);
    expect(await manager.getByTestId("delete-agent").count()).toBe(0);
    expect(await text(manager)).toContain("cannot be disabled or deleted");
    expect(await rowOf(page, "writer").getByTestId("toggle-agent").count()).toBe(1);
    expect(app.errors).toEqual([]);
  });

  it("adds an agent through the form, and the manager hands a matching request to it", async () => {
    await openPanel(page);
    await page.getByTestId("add-agent").click();
    const form = formOf(page);
    await form.waitFor();
    // The cursor starts in the name field; every field has its label.
    const name = form.getByLabel("Name", { exact: true });
    expect(await name.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await form.getByLabel("Model (optional)").getAttribute("placeholder")).toContain("offline");
    // Tools come from the registry, each with its description; the team's agents are handoff targets.
    await form.getByRole("checkbox", { name: "calculate" }).waitFor();
    expect(await form.getByRole("group", { name: "Tools" }).innerText()).toMatch(/calculate[\s\S]*\w+/);
    expect(await form.getByRole("group", { name: "Hands off to" }).getByRole("checkbox").count()).toBe(1 + BUILT_IN.length);

    await name.fill(POET.name);
    await form.getByLabel("Description").fill(POET.description);
    await form.getByLabel("Instructions").fill(POET.instructions);
    await page.getByTestId("save-agent").click();
    await form.waitFor({ state: "detached" });

    const row = rowOf(page, "poet");
    await row.waitFor();
    expect(await row.getAttribute("data-enabled")).toBe("true");
    expect(await text(row)).toContain("Added or changed at run time");
    expect(await text(panelOf(page))).toContain("Added poet.");
    const saved = await platform.api.request("GET", "/api/agents/poet");
    expect(saved.body).toMatchObject({ ...POET, tools: [], handoffs: [], enabled: true, source: "api" });
    // The panel polls: the poet's worker shows up without a reload.
    await waitForWorker(page, "poet");
    await screenshot(page, "agents-panel");

    await startConversation(page);
    const { events } = await askAndWait(page, platform.api, "write a haiku poem about autumn");
    expect(handoffsTo(events, "poet")).toHaveLength(1);
    const handoff = page.locator('[data-testid="handoff"][data-kind="handoff"][data-from="manager"][data-to="poet"]');
    await handoff.waitFor();
    expect(await text(handoff)).toContain("manager → poet");
    expect(await page.locator('[data-testid="message"][data-agent="poet"]').count()).toBeGreaterThanOrEqual(1);

    // The team graph reads the same list: the poet is a node, with the manager's "*" edge to it.
    await page.locator(".insights-toggle").click();
    await page.getByTestId("team-graph").waitFor({ state: "visible" });
    await page.locator('[data-testid="graph-node"][data-agent="poet"]').waitFor({ state: "visible" });
    expect(await page.locator('[data-testid="graph-edge"][data-from="manager"][data-to="poet"]').count()).toBe(1);
    expect(await panelOf(page).isVisible()).toBe(false);

    // Back in the panel, the poet's last activity is no longer "never".
    await openPanel(page);
    await page.waitForFunction(() => {
      const row = document.querySelector('[data-testid="agent-row"][data-agent="poet"]');
      return row !== null && row.querySelector("time") !== null;
    });
    expect(app.errors).toEqual([]);
  });

  it("shows the server's refusal next to the form, marks the fields, keeps the typing and saves nothing", async () => {
    await openPanel(page);
    const before = await teamNames();
    await page.getByTestId("add-agent").click();
    const form = formOf(page);
    await form.waitFor();
    const name = form.getByLabel("Name", { exact: true });
    const description = form.getByLabel("Description");
    await name.fill("Bad Name");
    await description.fill("poems");
    await form.getByLabel("Instructions").fill("Answer with a haiku.");
    await page.getByTestId("save-agent").click();

    const error = page.getByTestId("agent-form-error");
    await error.waitFor();
    const said = await text(error);
    expect(said).toContain("The agent was not added");
    expect(said).toMatch(/Name: 2–32 characters: lowercase letters/);
    expect(said).toMatch(/Description: say in at least 10 characters/);
    expect(await error.getAttribute("role")).toBe("alert");
    // The named fields are marked and point at their own explanation; the typing is still there.
    for (const [field, expected] of [
      [name, /lowercase letters/],
      [description, /at least 10 characters/],
    ] as const) {
      expect(await field.getAttribute("aria-invalid")).toBe("true");
      const ids = ((await field.getAttribute("aria-describedby")) ?? "").split(" ");
      const explained = await page.evaluate((list) => list.map((id) => document.getElementById(id)?.textContent ?? "").join(" "), ids);
      expect(explained).toMatch(expected);
    }
    expect(await name.inputValue()).toBe("Bad Name");
    expect(await description.inputValue()).toBe("poems");
    // Focus went to the first field to fix.
    expect(await name.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await form.getByLabel("Instructions").getAttribute("aria-invalid")).toBeNull();
    await screenshot(page, "agent-form-error");
    expect(await teamNames()).toEqual(before);

    // A name that is taken: said in plain words, on the name field.
    await name.fill("writer");
    await description.fill("Writes haiku poems and short verses about any topic.");
    expect(await name.getAttribute("aria-invalid")).toBeNull();
    await page.getByTestId("save-agent").click();
    await page.waitForFunction(() => /"writer" is taken/.test(document.querySelector('[data-testid="agent-form-error"]')?.textContent ?? ""));
    expect(await name.getAttribute("aria-invalid")).toBe("true");
    expect(await teamNames()).toEqual(before);

    await form.getByRole("button", { name: "Cancel" }).click();
    await form.waitFor({ state: "detached" });
    // Back to the button that opened the form.
    expect(await page.getByTestId("add-agent").evaluate((button) => button === document.activeElement)).toBe(true);
    expect(await teamNames()).toEqual(before);
    expect(app.errors).toEqual([]);
  });

  it("edits the agent: the name stays, the rest is sent back whole", async () => {
    await openPanel(page);
    await rowOf(page, "poet").getByTestId("edit-agent").click();
    const form = formOf(page);
    await form.waitFor();
    const name = form.getByLabel("Name", { exact: true });
    expect(await name.inputValue()).toBe("poet");
    expect(await name.evaluate((input) => (input as HTMLInputElement).readOnly)).toBe(true);
    // Editing starts in the description (the name cannot change).
    expect(await form.getByLabel("Description").evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await form.getByLabel("Instructions").inputValue()).toBe(POET.instructions);
    await form.getByLabel("Instructions").fill("Answer with a haiku, in three lines.");
    await page.getByTestId("save-agent").click();
    await form.waitFor({ state: "detached" });
    expect(await text(panelOf(page))).toContain("Saved poet.");
    expect(await rowOf(page, "poet").getByTestId("edit-agent").evaluate((button) => button === document.activeElement)).toBe(true);
    const stored = await platform.api.request("GET", "/api/agents/poet");
    expect(stored.body).toMatchObject({ ...POET, instructions: "Answer with a haiku, in three lines.", tools: [], handoffs: [], enabled: true });
    expect(app.errors).toEqual([]);
  });

  it("shows the agent's history with what each save changed, and restores an earlier definition", async () => {
    await openPanel(page);
    await rowOf(page, "poet").getByTestId("agent-history").click();
    const history = page.getByTestId("agent-history-view");
    await history.waitFor();
    const entries = history.getByTestId("history-entry");
    await page.locator('[data-testid="history-entry"][data-n="2"]').waitFor();
    expect(await entries.count()).toBe(2);
    const newest = entries.first();
    expect(await text(newest)).toMatch(/Changed by local, just now · definition 2 current/);
    // The newest save's changes are open: the instruction line removed and the one added.
    expect(await newest.locator(".diff-removed").innerText()).toContain(POET.instructions);
    expect(await newest.locator(".diff-added").innerText()).toContain("Answer with a haiku, in three lines.");
    expect(await text(entries.nth(1))).toMatch(/Created by local/);
    // The current definition offers no restore; the earlier one does.
    expect(await newest.getByTestId("restore-definition").count()).toBe(0);
    await entries.nth(1).getByTestId("restore-definition").click();
    await page.locator('[data-testid="history-entry"][data-n="3"][data-change="restored"]').waitFor();
    expect(await text(history)).toContain("Definition 1 of poet is its newest again.");
    expect(await text(entries.first())).toMatch(/Restored from definition 1 by local/);
    expect((await platform.api.request("GET", "/api/agents/poet")).body.instructions).toBe(POET.instructions);

    // Back to the team, focus on the History button it came from.
    await history.getByTestId("close-history").click();
    await history.waitFor({ state: "detached" });
    expect(await rowOf(page, "poet").getByTestId("agent-history").evaluate((button) => button === document.activeElement)).toBe(true);

    // The form sets the model settings; the row shows them; the API has them.
    await rowOf(page, "poet").getByTestId("edit-agent").click();
    const form = formOf(page);
    await form.getByLabel("Instructions").fill("Answer with a haiku, in three lines.");
    await form.getByLabel("Temperature (optional)").fill("3");
    await page.getByTestId("save-agent").click();
    // Out of range: refused next to the field, nothing saved.
    await form.locator(`[aria-invalid="true"]`).first().waitFor();
    expect(await form.getByLabel("Temperature (optional)").getAttribute("aria-invalid")).toBe("true");
    await form.getByLabel("Temperature (optional)").fill("0.3");
    await form.getByLabel("Most tokens per answer (optional)").fill("400");
    await page.getByTestId("save-agent").click();
    await form.waitFor({ state: "detached" });
    expect(await text(rowOf(page, "poet"))).toContain("temperature 0.3 · at most 400 tokens per answer");
    expect((await platform.api.request("GET", "/api/agents/poet")).body).toMatchObject({ temperature: 0.3, maxTokens: 400, instructions: "Answer with a haiku, in three lines." });
    expect(app.errors).toEqual([]);
  });

  it("disables the agent, after which the manager no longer hands work to it", async () => {
    await openPanel(page);
    const row = rowOf(page, "poet");
    await row.getByTestId("toggle-agent").click();
    await page.locator('[data-testid="agent-row"][data-agent="poet"][data-enabled="false"]').waitFor();
    expect(await text(row)).toContain("disabled");
    expect(await row.getByTestId("toggle-agent").innerText()).toBe("Enable");
    const stored = await platform.api.request("GET", "/api/agents/poet");
    // Everything else is as it was: the toggle sent the whole definition back.
    expect(stored.body).toMatchObject({ ...POET, instructions: "Answer with a haiku, in three lines.", enabled: false, tools: [], handoffs: [] });
    // Its worker stops too; the panel shows it within a poll or two.
    await page.locator('[data-testid="agent-row"][data-agent="poet"][data-workers="0"]').waitFor();
    // The team graph, from the same list, shows it switched off; the manager's "*" no longer
    // covers it (an edge stays only as the dashed trace of this conversation's earlier handoff).
    await page.locator(".insights-toggle").click();
    await page.locator('[data-testid="graph-node"][data-agent="poet"].is-disabled').waitFor({ state: "visible" });
    expect(await page.locator('[data-testid="graph-edge"][data-from="manager"][data-to="poet"]:not(.is-observed)').count()).toBe(0);
    // (Once the glow of that recent handoff has faded, so the picture shows the resting state.)
    await page.locator('[data-testid="graph-edge"][data-from="manager"][data-to="poet"][data-active="false"]').waitFor({ state: "attached" });
    await screenshot(page.getByTestId("team-graph"), "team-graph-disabled-agent");

    await startConversation(page);
    const { events } = await askAndWait(page, platform.api, "write a haiku poem about winter");
    expect(handoffsTo(events, "poet")).toEqual([]);
    expect(await page.locator('[data-testid="handoff"][data-to="poet"]').count()).toBe(0);
    expect(await page.locator('[data-testid="message"][data-agent="poet"]').count()).toBe(0);
    expect(app.errors).toEqual([]);
  });

  it("deletes the agent only after the inline confirmation", async () => {
    await openPanel(page);
    const row = rowOf(page, "poet");
    await row.getByTestId("delete-agent").click();
    const question = row.getByRole("group", { name: "Delete poet?" });
    await question.waitFor();
    expect(await text(question)).toContain("Delete poet?");
    // The safe answer has the focus; Cancel keeps the agent.
    const cancel = question.getByRole("button", { name: "Cancel" });
    expect(await cancel.evaluate((button) => button === document.activeElement)).toBe(true);
    await cancel.click();
    await question.waitFor({ state: "detached" });
    expect(await teamNames()).toContain("poet");

    await row.getByTestId("delete-agent").click();
    await row.getByTestId("confirm-delete").click();
    await row.waitFor({ state: "detached" });
    expect(await text(panelOf(page))).toContain("Deleted poet.");
    expect((await platform.api.request("GET", "/api/agents/poet")).status).toBe(404);
    expect(app.dialogs).toEqual([]);
    expect(app.errors).toEqual([]);
  });

  it("fits a phone screen, form and all", async () => {
    const phone = await openApp(browser, platform.server.url, { viewport: PHONE, isMobile: true, hasTouch: true });
    const { page: small } = phone;
    await small.getByTestId("agents-panel-toggle").click();
    await panelOf(small).waitFor({ state: "visible" });
    await small.waitForFunction(() => {
      const box = document.querySelector('[data-testid="agents-panel"]')?.getBoundingClientRect();
      return box !== undefined && box.width > 0 && box.left >= 0 && box.right <= window.innerWidth + 0.5;
    });
    for (const name of BUILT_IN) await waitForWorker(small, name);
    // A phone widens its layout viewport to fit content that sticks out, so check the width too.
    expect(await small.evaluate(() => window.innerWidth)).toBe(PHONE.width);
    expect(await horizontalOverflow(small)).toBeLessThanOrEqual(0);
    const outside = await small.$$eval('[data-testid="agents-panel"] *', (items) =>
      items.filter((item) => item.getBoundingClientRect().right > window.innerWidth + 0.5).map((item) => item.className),
    );
    expect(outside).toEqual([]);
    await screenshot(small, "agents-panel-phone");

    await small.getByTestId("add-agent").click();
    const form = formOf(small);
    await form.waitFor();
    await form.getByRole("checkbox", { name: "calculate" }).waitFor();
    expect(await small.evaluate(() => window.innerWidth)).toBe(PHONE.width);
    expect(await horizontalOverflow(small)).toBeLessThanOrEqual(0);
    const formOutside = await small.$$eval('[data-testid="agent-form"] *', (items) =>
      items.filter((item) => item.getBoundingClientRect().right > window.innerWidth + 0.5).map((item) => item.tagName),
    );
    expect(formOutside).toEqual([]);
    await screenshot(small, "agent-form-phone");
    await form.getByRole("group", { name: "Tools" }).scrollIntoViewIfNeeded();
    await screenshot(small, "agent-form-choices-phone");

    // Escape leaves an untouched form, then closes the panel and hands focus back to its button.
    await small.keyboard.press("Escape");
    await form.waitFor({ state: "detached" });
    await small.keyboard.press("Escape");
    await panelOf(small).waitFor({ state: "hidden" });
    expect(await small.getByTestId("agents-panel-toggle").evaluate((button) => button === document.activeElement)).toBe(true);
    expect(phone.errors).toEqual([]);
    await phone.context.close();
  });

  it("is read only for a token that may not change the team", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const other = await context.newPage();
    const errors: string[] = [];
    other.on("pageerror", (error) => errors.push(error.message));
    await other.goto(`${platform.server.url}/?token=${ALICE}`);
    await waitForConnected(other);
    await openPanel(other);
    await other.getByTestId("agents-read-only").waitFor();
    expect(await text(other.getByTestId("agents-read-only"))).toContain("only the admin token may change the team");
    await rowOf(other, "manager").waitFor();
    expect(await other.getByTestId("agent-row").count()).toBe(BUILT_IN.length);
    for (const control of ["add-agent", "edit-agent", "toggle-agent", "delete-agent"]) {
      expect(await panelOf(other).getByTestId(control).count(), control).toBe(0);
    }
    await screenshot(other, "agents-panel-read-only");
    expect(errors).toEqual([]);
    await context.close();
  });
});
