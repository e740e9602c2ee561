/**
 * Workflows in a real headless Chromium against the real server, agents, workflow engine and
 * Redis: the Workflows view lists the shipped workflows with the bound each states before it runs;
 * the content pipeline is started from the form its input schema makes, its steps light up on its
 * graph in the conversation, its editor approval is decided at the approval card after a reload
 * (a second tab that decides later is told who decided), and it completes with its output. Recent
 * runs show their status, open their conversation, and a waiting run can be cancelled.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Event } from "../../shared/events.js";
import type { WorkflowRunView, WorkflowSummary } from "../../shared/workflow.js";
import { describeBudget } from "../../client/src/workflow-text.js";
import {
  conversationIdOf,
  E2E_TEST_TIMEOUT_MS,
  ensureClientForTests,
  horizontalOverflow,
  launchBrowser,
  openApp,
  screenshot,
  UI_TIMEOUT_MS,
  waitForConnected,
  withholdSocketFrames,
  type AppPage,
} from "../support/browser.js";
import { startPlatform, type Platform } from "../support/harness.js";

const CATALOG = fileURLToPath(new URL("../../catalog", import.meta.url));
const SHIPPED = ["content-pipeline", "order-triage", "refund-approval"];
const PIPELINE = "content-pipeline";

let platform: Platform;
let browser: Browser;
let app: AppPage;
let page: Page;
let workflows: WorkflowSummary[];

// A browser and the platform start here: slow on a loaded machine. Each playwright wait has its
// own UI_TIMEOUT_MS bound, below this one.
vi.setConfig({ testTimeout: E2E_TEST_TIMEOUT_MS, hookTimeout: E2E_TEST_TIMEOUT_MS });

beforeAll(async () => {
  await ensureClientForTests();
  // A delay per streamed word makes each model call last long enough to watch the steps light up.
  [platform, browser] = await Promise.all([
    startPlatform({ catalogDir: path.resolve(CATALOG), env: { OFFLINE_MODEL_DELAY_MS: "40" } }),
    launchBrowser(),
  ]);
  const listed = await platform.api.request("GET", "/api/workflows");
  workflows = listed.body.workflows as WorkflowSummary[];
  app = await openApp(browser, platform.server.url, { hash: "#/workflows" });
  page = app.page;
});

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

const summaryOf = (name: string): WorkflowSummary => {
  const found = workflows.find((workflow) => workflow.name === name);
  if (found === undefined) throw new Error(`the server does not list ${name}; it lists ${workflows.map((w) => w.name).join(", ")}`);
  return found;
};

const node = (target: Page, id: string, state?: string) =>
  target.locator(`[data-testid="workflow-node"][data-node-id="${id}"]${state === undefined ? "" : `[data-state="${state}"]`}`);

async function runView(runId: string): Promise<WorkflowRunView> {
  const response = await platform.api.request("GET", `/api/workflow-runs/${runId}`);
  expect(response.status).toBe(200);
  return response.body as unknown as WorkflowRunView;
}

/** Follows a conversation's log until `done` holds. */
const logUntil = (conversationId: string, done: (events: Event[]) => boolean): Promise<Event[]> => platform.api.waitFor(conversationId, done);

/** What the content pipeline left, for the tests after the one that ran it. */
let pipeline: { conversationId: string; runId: string } | undefined;

describe("workflows in the browser", () => {
  it("lists the shipped workflows with the bound each states before it runs", async () => {
    const cards = page.getByTestId("workflow-card");
    await expect
      .poll(() => cards.evaluateAll((items) => items.map((item) => item.getAttribute("data-workflow")).sort()), { timeout: UI_TIMEOUT_MS })
      .toEqual(SHIPPED);
    for (const name of SHIPPED) {
      const bound = page.locator(`[data-testid="workflow-card"][data-workflow="${name}"] [data-testid="workflow-bound"]`);
      expect(await bound.textContent()).toBe(`Bound: ${describeBudget(summaryOf(name).budget)}`);
      expect(await bound.textContent()).toMatch(/model calls? · \d+ approvals?/);
    }
    // The content pipeline: a draft, at most 3 review rounds of 2 calls, 2 translations; one editor.
    expect(summaryOf(PIPELINE).budget.modelCalls).toEqual({ min: 5, max: 9 });
    expect(await page.locator(`[data-workflow="${PIPELINE}"] [data-testid="workflow-bound"]`).textContent()).toBe("Bound: 5–9 model calls · 1 approval");
    await screenshot(page, "workflows-list");
    expect(app.errors).toEqual([]);
  });

  it("opens a workflow to its graph and the start form its input schema makes", async () => {
    await page.locator(`[data-testid="workflow-card"][data-workflow="${PIPELINE}"] a`).click();
    await page.waitForFunction(() => location.hash === "#/workflows/content-pipeline");
    await page.getByTestId("workflow-start-form").waitFor();
    expect(await page.locator("#workflows-title").textContent()).toBe(PIPELINE);
    expect(await page.getByTestId("workflow-bound").textContent()).toContain("5–9 model calls · 1 approval");

    const graph = summaryOf(PIPELINE).graph;
    const drawn = await page.getByTestId("workflow-node").evaluateAll((items) => items.map((item) => item.getAttribute("data-node-id")).sort());
    expect(drawn).toEqual(graph.nodes.map((item) => item.id).sort());
    // The loop's way back is drawn, and a pattern is a box around its steps.
    expect(await page.locator(".wf-edge.is-back").count()).toBeGreaterThanOrEqual(1);
    const loop = graph.nodes.find((item) => item.kind === "loop");
    expect(await node(page, loop?.id ?? "").getAttribute("class")).toContain("wf-container");
    expect(await page.getByTestId("workflow-graph").getAttribute("aria-label")).toContain("Graph of content-pipeline");

    // One labelled control per input field, the required ones marked.
    const schema = summaryOf(PIPELINE).inputSchema as { properties: Record<string, unknown>; required?: string[] };
    const fields = page.getByTestId("workflow-field");
    expect(await fields.evaluateAll((items) => items.map((item) => item.getAttribute("data-field-name")))).toEqual(Object.keys(schema.properties));
    for (const name of schema.required ?? []) {
      const label = page.locator(`[data-testid="workflow-field"][data-field-name="${name}"] label`);
      expect(await label.textContent()).toContain("(required)");
      expect(await page.locator(`[data-field="${name}"]`).getAttribute("aria-required")).toBe("true");
    }
    await screenshot(page, "workflow-detail");
  });

  it("checks the form before sending, and shows what the server refuses next to it", async () => {
    await page.getByTestId("start-workflow").click();
    await page.locator('[data-testid="workflow-field"][data-field-name="topic"] .field-problem').waitFor();
    expect(await page.locator('[data-testid="workflow-field"][data-field-name="topic"] .field-problem').textContent()).toMatch(/required/);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-field"))).toBe("topic");
    const before = await platform.api.request("GET", "/api/workflow-runs");
    expect(before.body.runs).toEqual([]);

    // The order triage wants digits for the order number: the server says so, beside the form.
    await page.goto(`${platform.server.url}/#/workflows/order-triage`);
    await waitForConnected(page);
    await page.getByTestId("workflow-start-form").waitFor();
    await page.locator('[data-field="orderId"]').fill("ABC");
    await page.locator('[data-field="message"]').fill("The mug arrived broken.");
    await page.getByTestId("start-workflow").click();
    const refusal = page.getByTestId("workflow-start-error");
    await refusal.filter({ hasText: "orderId" }).waitFor();
    expect(await refusal.getAttribute("role")).toBe("alert");
    expect(await page.locator('[data-field="orderId"]').getAttribute("aria-invalid")).toBe("true");
    expect(page.url()).toContain("#/workflows/order-triage");
    await screenshot(page, "workflow-form-refused");
  });

  it("starts the content pipeline from its form and opens its run, which parks at the editor's approval", async () => {
    await page.goto(`${platform.server.url}/#/workflows/${PIPELINE}`);
    await waitForConnected(page);
    await page.getByTestId("workflow-start-form").waitFor();
    await page.locator('[data-field="topic"]').fill("the new offline mode");
    await page.locator('[data-field="audience"]').fill("developers");
    await page.getByTestId("start-workflow").click();
    await page.waitForFunction(() => location.hash.startsWith("#/c/"));
    const conversationId = conversationIdOf(page) as string;

    const block = page.locator(`[data-testid="workflow-run"][data-workflow="${PIPELINE}"]`);
    await block.waitFor();
    const runId = (await block.getAttribute("data-run-id")) as string;
    pipeline = { conversationId, runId };
    const graph = summaryOf(PIPELINE).graph;

    // It parks at the editor's approval: the step waits, the card asks.
    const editor = graph.nodes.find((item) => item.kind === "approval")?.id as string;
    await node(page, editor, "waiting").waitFor({ timeout: UI_TIMEOUT_MS * 2 });
    await page.locator('[data-testid="approval-card"][data-status="pending"]').waitFor();
    expect(await block.getAttribute("data-status")).toBe("waiting");
    expect(await block.getByTestId("workflow-run-status").textContent()).toBe("waiting for approval");

    const view = await runView(runId);
    expect(view.status).toBe("waiting");
    // The meter: the model calls used so far against the bound stated before the run.
    expect(await block.getByTestId("budget-meter").textContent()).toBe(`${view.modelCalls} of at most 9 model calls`);
    expect(view.modelCalls).toBeGreaterThanOrEqual(4);
    // Everything before the approval is done, and drawn so; what comes after has not started.
    const before = new Set(["start", ...graph.nodes.filter((item) => item.kind === "llm" || item.kind === "loop" || item.kind === "parallel").map((item) => item.id)]);
    for (const id of before) expect(await node(page, id).getAttribute("data-state"), id).toBe("completed");
    const loop = graph.nodes.find((item) => item.kind === "loop")?.id as string;
    expect(Number(await node(page, loop).getAttribute("data-round"))).toBeGreaterThanOrEqual(1);
    const publish = graph.edges.find((edge) => edge.from === editor)?.to as string;
    expect(await node(page, publish).getAttribute("data-state")).toBe("pending");
    await screenshot(page, "workflow-waiting-for-approval");
    await page.setViewportSize({ width: 1440, height: 2000 });
    await screenshot(block, "workflow-run-block");
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(app.errors).toEqual([]);
  });

  it("lights the steps up on the graph as a run goes: branches at once, loop rounds counted; and cancels it from there", async () => {
    // The page follows the conversation before the run starts in it, so every step arrives live.
    const conversationId = await platform.api.createConversation();
    await page.goto(`${platform.server.url}/#/c/${conversationId}`);
    await waitForConnected(page);
    await page.getByTestId("composer-input").waitFor();
    await page.evaluate(() => {
      const seen: { running: string[]; rounds: string[] }[] = [];
      (window as unknown as { __seen: typeof seen }).__seen = seen;
      new MutationObserver(() => {
        const running = [...document.querySelectorAll('[data-testid="workflow-node"][data-state="running"]')].map((item) => item.getAttribute("data-node-id") ?? "");
        const rounds = [...document.querySelectorAll('[data-testid="workflow-node"][data-round]')].map((item) => `${item.getAttribute("data-node-id")}#${item.getAttribute("data-round")}`);
        const last = seen.at(-1);
        if (last === undefined || last.running.join() !== running.join() || last.rounds.join() !== rounds.join()) seen.push({ running, rounds });
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state", "data-round"] });
    });
    const started = await platform.api.request("POST", `/api/workflows/${PIPELINE}/runs`, {
      input: { topic: "faster workflow runs", audience: "operators" },
      conversationId,
    });
    expect(started.status).toBe(202);
    const { runId } = started.body as { runId: string };
    const block = page.locator(`[data-testid="workflow-run"][data-run-id="${runId}"]`);
    await block.locator('[data-testid="workflow-run-status"]', { hasText: "waiting for approval" }).waitFor({ timeout: UI_TIMEOUT_MS * 2 });

    const graph = summaryOf(PIPELINE).graph;
    const parallel = graph.nodes.find((item) => item.kind === "parallel")?.id;
    const translations = graph.nodes.filter((item) => item.kind === "llm" && item.parent === parallel).map((item) => item.id);
    const loop = graph.nodes.find((item) => item.kind === "loop")?.id as string;
    const seen = await page.evaluate(() => (window as unknown as { __seen: { running: string[]; rounds: string[] }[] }).__seen);
    const report = JSON.stringify(seen);
    expect(translations).toHaveLength(2);
    // The first step ran on its own; the two translations ran at once, and were drawn so.
    expect(seen.some((state) => state.running.includes("draft")), report).toBe(true);
    expect(seen.some((state) => translations.every((id) => state.running.includes(id))), report).toBe(true);
    // The loop counted its rounds as they came.
    expect(seen.some((state) => state.rounds.includes(`${loop}#1`)), report).toBe(true);
    await screenshot(page, "workflow-live");

    // Cancelled from its block: the run says so, and its approval card no longer asks.
    await block.getByTestId("cancel-workflow-run").click();
    await block.locator('[data-testid="workflow-run-status"]', { hasText: "cancelled" }).waitFor();
    expect(await block.getByTestId("cancel-workflow-run").count()).toBe(0);
    expect((await runView(runId)).status).toBe("cancelled");
    const card = page.locator('[data-testid="approval-card"]');
    await card.locator('[data-testid="approve-button"][disabled]').waitFor();
    expect(await card.getAttribute("data-status")).not.toBe("pending");
    await screenshot(page, "workflow-cancelled");
    expect(app.errors).toEqual([]);
  });

  it("keeps the approval card through a reload; the first decision wins, a later tab is told who decided", async () => {
    if (pipeline === undefined) throw new Error("the content pipeline did not start");
    const { conversationId, runId } = pipeline;
    await page.goto(`${platform.server.url}/#/c/${conversationId}`);
    await page.locator(`[data-testid="workflow-run"][data-run-id="${runId}"]`).waitFor();
    await page.reload();
    await waitForConnected(page);
    const card = page.locator('[data-testid="approval-card"]');
    await card.waitFor();
    expect(await card.getAttribute("data-status")).toBe("pending");
    expect(await card.locator(".approval-title").textContent()).toMatch(/^Publish ".+" in English, French and German\?$/);
    expect(await card.getByTestId("approval-timeout").textContent()).toBe("Rejects automatically in 2 days");
    const data = await card.getByTestId("approval-data").textContent();
    expect(data?.length).toBeGreaterThan(10);

    // A second tab that hears nothing of what happens next (the decision, the run going on): it can
    // still try to decide, and is told who decided.
    const other = await openApp(browser, platform.server.url, {
      hash: `#/c/${conversationId}`,
      beforeOpen: (context) =>
        withholdSocketFrames(
          context,
          (packet) => packet.startsWith('42["conversation:event"') && /"type":"(approval\.resolved|workflow\.(step|completed|failed))"/.test(packet),
        ),
    });
    const otherCard = other.page.locator('[data-testid="approval-card"]');
    await otherCard.locator('[data-testid="approve-button"]:not([disabled])').waitFor();

    await card.getByLabel(/Comment/).fill("Ship it.");
    await card.getByTestId("approve-button").click();
    await page.locator('[data-testid="approval-card"][data-status="approved"]').waitFor();
    expect((await card.getByTestId("approval-outcome").textContent())?.replace(/\s+/g, " ")).toBe("Approved by local (you): Ship it.");
    expect(await card.getByTestId("approve-button").isDisabled()).toBe(true);
    expect(await card.getByTestId("reject-button").isDisabled()).toBe(true);

    // The run goes on to publish and completes with its output.
    const block = page.locator(`[data-testid="workflow-run"][data-run-id="${runId}"]`);
    await block.locator('[data-testid="workflow-run-status"]', { hasText: "completed" }).waitFor({ timeout: UI_TIMEOUT_MS * 2 });
    const view = await runView(runId);
    expect(view.status).toBe("completed");
    // The output as a person reads it: each field with its value, text as text.
    const shown = (await block.getByTestId("workflow-output").textContent()) ?? "";
    expect(typeof view.output).toBe("object");
    for (const [key, value] of Object.entries(view.output as Record<string, unknown>)) {
      expect(shown).toContain(key);
      expect(shown).toContain(typeof value === "string" ? value : JSON.stringify(value));
    }
    expect(await block.getByTestId("budget-meter").textContent()).toBe(`${view.modelCalls} of at most 9 model calls`);
    const graph = summaryOf(PIPELINE).graph;
    for (const item of graph.nodes) {
      expect(await node(page, item.id).getAttribute("data-state"), item.id).toBe("completed");
    }
    // Each finished step with its latency, tokens and cost, its output one click away.
    const steps = block.getByTestId("workflow-step");
    const finished = (await platform.api.events(conversationId)).filter((event) => event.type === "workflow.step" && event.data.status !== "started");
    expect(await steps.count()).toBe(finished.length);
    // An llm step's event names the model it called.
    expect(new Set(finished.map((event) => event.type === "workflow.step" && event.data.kind === "llm" && event.data.model).filter(Boolean))).toEqual(new Set(["offline"]));
    const draft = steps.first();
    // On the offline model a step costs nothing, and says so rather than "$0.0000"; so does the run.
    expect(await draft.locator(".wf-step-figures").textContent()).toMatch(/\d+ ms.*\d+ tokens.*free \(offline model\)/);
    expect(await block.getByTestId("workflow-totals").textContent()).toContain("free (offline model)");
    await draft.locator(".wf-step-toggle").click();
    await draft.locator(".wf-step-output").waitFor();
    // Where the reader is (under the card), the run's end is said too.
    await page.locator(`[data-testid="workflow-end"][data-run-id="${runId}"][data-status="completed"]`).waitFor();
    await screenshot(page, "workflow-completed");
    await page.setViewportSize({ width: 1440, height: 2600 });
    await screenshot(block, "workflow-completed-block");
    await page.setViewportSize({ width: 1440, height: 900 });

    // The other tab decides second and learns who decided first.
    await otherCard.getByTestId("reject-button").click();
    const told = otherCard.getByTestId("approval-message");
    await told.filter({ hasText: "Already approved by local" }).waitFor();
    expect(await otherCard.getByTestId("approve-button").isDisabled()).toBe(true);
    await screenshot(otherCard, "approval-second-tab");
    const events = await logUntil(conversationId, (all) => all.some((event) => event.type === "workflow.completed"));
    expect(events.filter((event) => event.type === "approval.resolved")).toHaveLength(1);
    expect(other.errors).toEqual([]);
    await other.context.close();
    expect(app.errors).toEqual([]);
  });

  it("lists recent runs with their status, opens one, and cancels one that waits", async () => {
    if (pipeline === undefined) throw new Error("the content pipeline did not run");
    // An order with a damaged item waits for a refund approval.
    const started = await platform.api.request("POST", "/api/workflows/order-triage/runs", {
      input: { orderId: "4411", message: "The mug arrived broken, the handle came off in the box." },
    });
    expect(started.status).toBe(202);
    const triage = started.body as { runId: string; conversationId: string };
    await logUntil(triage.conversationId, (events) => events.some((event) => event.type === "approval.requested"));

    await page.goto(`${platform.server.url}/#/workflows`);
    await waitForConnected(page);
    const line = (runId: string) => page.locator(`[data-testid="workflow-run-line"][data-run-id="${runId}"]`);
    await line(triage.runId).locator(".wf-status", { hasText: "waiting for approval" }).waitFor();
    await line(pipeline.runId).locator(".wf-status", { hasText: "completed" }).waitFor();
    expect(await line(pipeline.runId).getByTestId("cancel-run").count()).toBe(0);
    await screenshot(page, "workflow-runs");

    // A run opens its conversation.
    await line(pipeline.runId).getByTestId("open-workflow-run").click();
    await page.waitForFunction((id) => location.hash === `#/c/${id}`, pipeline.conversationId);
    await page.locator(`[data-testid="workflow-run"][data-run-id="${pipeline.runId}"][data-status="completed"]`).waitFor();

    // Cancel the waiting one, after saying yes.
    await page.goBack();
    await line(triage.runId).getByTestId("cancel-run").click();
    await line(triage.runId).getByTestId("confirm-cancel-run").click();
    await line(triage.runId).locator(".wf-status", { hasText: "cancelled" }).waitFor();
    expect((await runView(triage.runId)).status).toBe("cancelled");
    await page.goto(`${platform.server.url}/#/c/${triage.conversationId}`);
    await page.locator(`[data-testid="workflow-run"][data-run-id="${triage.runId}"][data-status="cancelled"]`).waitFor();
    expect(await page.locator(`[data-testid="workflow-run"][data-run-id="${triage.runId}"] [data-testid="cancel-workflow-run"]`).count()).toBe(0);
    expect(app.errors).toEqual([]);
  });

  it("fits a phone: the list, a workflow's page and a run, without sideways scrolling", async () => {
    if (pipeline === undefined) throw new Error("the content pipeline did not run");
    const phone = await openApp(browser, platform.server.url, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, hash: "#/workflows" });
    await phone.page.getByTestId("workflow-card").first().waitFor();
    expect(await horizontalOverflow(phone.page)).toBeLessThanOrEqual(0);
    await screenshot(phone.page, "phone-workflows");
    await phone.page.getByTestId("workflows-link").waitFor();
    await phone.page.goto(`${platform.server.url}/#/workflows/${PIPELINE}`);
    await phone.page.getByTestId("workflow-start-form").waitFor();
    expect(await horizontalOverflow(phone.page)).toBeLessThanOrEqual(0);
    await screenshot(phone.page, "phone-workflow-detail");
    await phone.page.goto(`${platform.server.url}/#/c/${pipeline.conversationId}`);
    await phone.page.locator('[data-testid="workflow-run"][data-status="completed"]').waitFor();
    expect(await horizontalOverflow(phone.page)).toBeLessThanOrEqual(0);
    await screenshot(phone.page, "phone-workflow-run");
    expect(phone.errors).toEqual([]);
    await phone.context.close();
  });
});
