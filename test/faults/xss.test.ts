/**
 * XSS payloads (test/faults/support/xss-payloads.ts: 40 classic ones) put everywhere a person or a
 * model can put text that the page shows — message text, agent answers (Markdown), handoff reasons,
 * tool arguments and errors, conversation titles, agent descriptions (the admin's agents API),
 * workflow inputs and outputs, approval comments — then rendered in Debian's Chromium.
 *
 * A payload that ran would call the page-exposed `__xss(id)` or open an alert; neither may happen.
 * The page is looked at twice: as users get it (with the Content-Security-Policy, whose violation
 * reports would show HTML that reached the DOM even though it could not run), and with the policy
 * bypassed, so that the rendering alone is what keeps the payloads inert. Every payload must also
 * show as text where it was put, and no element or attribute that could run script may appear.
 *
 * The model is scripted (the only scripted part): the manager hands each message to the
 * calculator with the payloads as its reason, the calculator calls its tool with them and answers
 * with them, and the writer's workflow step answers with them.
 */
import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scriptedModel, type ScriptedReply } from "../../agents/model/scripted-model.js";
import { turnFinished } from "../../shared/turn-status.js";
import { ensureClientForTests, launchBrowser, loggedMessageIds, waitForConnected } from "../support/browser.js";
import { TEST_TOKEN, startPlatform, type Platform } from "../support/harness.js";
import { approvalAsked, runEnded, startRun } from "../support/workflow-client.js";
import { recordFaultRow } from "./support/fault-table.js";
import { XSS_PAYLOADS, chunked, joined, type XssPayload } from "./support/xss-payloads.js";

const PART = /^XSS payloads, part \d+:\n\n/;
/** The payloads a message carries (after its first line), or undefined for any other message. */
const payloadsIn = (text: string): string | undefined => (PART.test(text) ? text.replace(PART, "") : undefined);
const ALL = joined(XSS_PAYLOADS);

function lastUser(request: ChatCompletionCreateParams): string {
  const last = [...request.messages].reverse().find((message) => message.role === "user");
  return typeof last?.content === "string" ? last.content : "";
}
function system(request: ChatCompletionCreateParams): string {
  const first = request.messages[0];
  return first?.role === "system" && typeof first.content === "string" ? first.content : "";
}

const model = scriptedModel((request): ScriptedReply => {
  const text = lastUser(request);
  if (request.response_format) {
    // order-triage's classifier.
    const orderId = /\b(\d{4})\b/.exec(text)?.[1] ?? "4412";
    return JSON.stringify({ orderId, kind: /cracked|broken/i.test(text) ? "damaged" : "wrong_item" });
  }
  const payloads = payloadsIn(text);
  if (system(request).startsWith("You are the manager")) {
    return payloads ? { toolCalls: [{ name: "transfer", arguments: { agent: "calculator", reason: payloads } }] } : "Noted.";
  }
  if (system(request).startsWith("You are the calculator")) {
    if (request.messages.at(-1)?.role === "tool") return payloads ?? "Done.";
    return payloads ? { toolCalls: [{ name: "calculate", arguments: { expression: payloads } }] } : "Done.";
  }
  // The writer's step in order-triage's wrong-item branch.
  if (system(request).startsWith("You are the writer")) return ALL;
  return "OK";
});

let platform: Platform;
let browser: Browser;
const setup = {
  chat: "",
  titled: [] as string[],
  agents: [] as { name: string; payloads: XssPayload[] }[],
  approvals: [] as { conversationId: string; payloads: XssPayload[] }[],
  writerRun: "",
  workflowInputs: [] as string[],
};

/** What each pass of the browser saw. */
interface Watch {
  executed: Set<number>;
  /** Woken at each `__xss` call. */
  waiters: (() => void)[];
  dialogs: string[];
  cspConsole: string[];
  errors: string[];
}
const results = { executed: new Set<number>(), dialogs: 0, cspViolations: 0, injected: new Set<string>(), notShown: [] as string[], views: 0 };
let recorded = false;

beforeAll(async () => {
  // The page is served only if it is built when the server starts.
  await ensureClientForTests();
  platform = await startPlatform({
    model: model.client,
    env: { OFFLINE_MODEL_DELAY_MS: "0", SWITCHBOARD_RATE_CONVERSATIONS: "0", SWITCHBOARD_RATE_CONVERSATIONS_PER_ADDRESS: "0" },
  });
  const api = platform.api;
  const browserLaunch = launchBrowser();

  // Messages: each part of the payloads in one turn (the manager's handoff reason is at most 300 characters).
  setup.chat = await api.createConversation();
  for (const [index, part] of chunked(XSS_PAYLOADS, 290).entries()) {
    const eventId = await api.send(setup.chat, `XSS payloads, part ${index + 1}:\n\n${joined(part)}`);
    await api.waitFor(setup.chat, turnFinished, { after: eventId });
  }
  // Conversation titles: one payload each.
  for (const payload of XSS_PAYLOADS) {
    const created = await api.request("POST", "/api/conversations", { title: payload.text });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    setup.titled.push(created.body.id as string);
  }
  // Agent descriptions, set by the admin.
  for (const [index, part] of chunked(XSS_PAYLOADS, 1000).entries()) {
    const name = `xss-agent-${index + 1}`;
    const created = await api.request("POST", "/api/agents", { name, description: joined(part), instructions: joined(part) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    setup.agents.push({ name, payloads: part });
  }
  // Workflow inputs, and approval comments on refunds.
  for (const part of chunked(XSS_PAYLOADS, 1900)) {
    const run = await startRun(api, "order-triage", { orderId: "4411", message: `The teapot arrived cracked.\n\n${joined(part)}` });
    setup.workflowInputs.push(run.conversationId);
    const events = await api.waitFor(run.conversationId, approvalAsked(run.runId));
    const approvalId = (events.find((e) => e.type === "approval.requested")?.data as { approvalId: string }).approvalId;
    const decided = await api.request("POST", `/api/approvals/${approvalId}`, { decision: "approve", comment: joined(part) });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    await api.waitFor(run.conversationId, runEnded(run.runId));
    setup.approvals.push({ conversationId: run.conversationId, payloads: part });
  }
  // A workflow's output: the writer's step answers with every payload.
  const writer = await startRun(api, "order-triage", { orderId: "4412", message: `I got the wrong scarf.\n\n${joined(XSS_PAYLOADS.slice(0, 10))}` });
  await api.waitFor(writer.conversationId, runEnded(writer.runId));
  setup.writerRun = writer.conversationId;
  browser = await browserLaunch;
}, 180_000);

afterAll(async () => {
  if (!recorded) record();
  await browser?.close();
  await platform?.close();
});

interface Violation {
  directive: string;
  blocked: string;
  sourceFile: string;
  line: number;
  column: number;
  sample: string;
}

/**
 * A signed-in page in a context of its own, watched: `__xss` calls, dialogs, policy violations
 * (from the start), console reports of the policy, uncaught errors. No timeout of its own.
 */
async function openWatched(bypassCSP: boolean): Promise<{ context: BrowserContext; page: Page; watch: Watch }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP });
  // No timeout of its own: the test's is the bound (XSS_DEBUG_TIMEOUT=20000 fails fast while debugging).
  context.setDefaultTimeout(Number(process.env.XSS_DEBUG_TIMEOUT ?? 0));
  const watch: Watch = { executed: new Set(), waiters: [], dialogs: [], cspConsole: [], errors: [] };
  await context.exposeFunction("__xss", (id: unknown) => {
    watch.executed.add(Number(id));
    for (const wake of watch.waiters.splice(0)) wake();
  });
  await context.addInitScript(() => {
    const seen: unknown[] = [];
    (window as unknown as { __cspViolations: unknown[] }).__cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (event) =>
      seen.push({
        directive: event.violatedDirective,
        blocked: event.blockedURI,
        sourceFile: event.sourceFile,
        line: event.lineNumber,
        column: event.columnNumber,
        sample: event.sample,
      }),
    );
  });
  const page = await context.newPage();
  page.on("dialog", (dialog) => {
    watch.dialogs.push(dialog.message());
    void dialog.dismiss().catch(() => {});
  });
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) watch.cspConsole.push(message.text());
  });
  page.on("pageerror", (error) => watch.errors.push(error.message));
  await page.goto(`${platform.server.url}/?token=${TEST_TOKEN}#/c/${setup.chat}`);
  await waitForConnected(page);
  return { context, page, watch };
}

/** Elements and attributes that could run script, anywhere in the document. */
function injectedElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const dangerous = /^(javascript|vbscript|data:text|data:application)/i;
    for (const element of document.querySelectorAll("*")) {
      const tag = element.tagName.toLowerCase();
      for (const attribute of element.attributes) {
        const name = attribute.name.toLowerCase();
        const value = attribute.value.replace(/[\s\u0000-\u001f]/g, "");
        if (name.startsWith("on")) found.push(`<${tag} ${name}>`);
        if (["href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "poster", "background"].includes(name) && (dangerous.test(value) || name === "srcdoc")) {
          found.push(`<${tag} ${name}="${value.slice(0, 60)}">`);
        }
        if (name === "style" && /expression\(|javascript:|url\(/i.test(value)) found.push(`<${tag} style="${value.slice(0, 60)}">`);
      }
      if (tag === "script" && !(element as HTMLScriptElement).src.startsWith(`${location.origin}/assets/`)) found.push("<script> not from the app");
      if (["iframe", "frame", "object", "embed", "base", "math", "video", "marquee"].includes(tag)) found.push(`<${tag}>`);
      if (tag === "meta" && element.hasAttribute("http-equiv")) found.push("<meta http-equiv>");
      if (tag === "link" && !/^(icon|stylesheet|modulepreload)$/.test(element.getAttribute("rel") ?? "")) found.push(`<link rel=${element.getAttribute("rel")}>`);
      if (tag === "link" && element.getAttribute("rel") === "stylesheet" && !(element as HTMLLinkElement).href.startsWith(`${location.origin}/assets/`)) found.push("<link stylesheet> not from the app");
      if (tag === "style" && element.closest("body")) found.push("<style> in the body");
    }
    return found;
  });
}

/** Every policy violation the page reported (the client itself causes none: a payload's HTML would). */
function policyViolations(page: Page): Promise<Violation[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations: Violation[] }).__cspViolations);
}

/** Text of every element matching `selector`, joined (what is in the DOM, hidden or not). */
const textOf = (page: Page, selector: string): Promise<string> =>
  page.$$eval(selector, (elements) => elements.map((element) => element.textContent ?? "").join("\n"));

/** Each payload whose `visible` text (or whole text, when `exact`) is not in `text`. */
function missing(surface: string, text: string, payloads: XssPayload[], exact: boolean): string[] {
  return payloads.filter((payload) => !text.includes(exact ? payload.text : payload.visible)).map((payload) => `${surface}: #${payload.id} ${payload.name}`);
}

async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((target) => {
    location.hash = target;
  }, hash);
}

async function visitEverything(page: Page): Promise<string[]> {
  const notShown: string[] = [];
  const api = platform.api;
  const scans = new Set<string>();
  const scan = async () => {
    for (const found of await injectedElements(page)) scans.add(found);
    results.views++;
  };

  // The chat: every message of the log shown, no answer still streaming.
  const ids = await loggedMessageIds(api, setup.chat);
  await page.waitForFunction(
    (expected) => {
      const shown = [...document.querySelectorAll<HTMLElement>('[data-testid="message"][data-event-id]')].map((e) => e.dataset.eventId);
      return expected.every((id) => shown.includes(id)) && document.querySelector('[data-testid="streaming-message"]') === null;
    },
    ids,
  );
  // Open every tool card, as a person reading the arguments would.
  for (const toggle of await page.locator('[data-testid="tool-card"] .tool-toggle').all()) {
    if ((await toggle.getAttribute("aria-expanded")) === "false") await toggle.click();
  }
  await scan();
  notShown.push(...missing("user message", await textOf(page, '[data-testid="message"][data-agent="user"]'), XSS_PAYLOADS, true));
  notShown.push(...missing("agent answer (Markdown)", await textOf(page, '[data-testid="message"][data-agent="calculator"]'), XSS_PAYLOADS, false));
  notShown.push(...missing("handoff reason", await textOf(page, '[data-testid="handoff"]'), XSS_PAYLOADS, true));
  notShown.push(...missing("tool arguments and error", await textOf(page, '[data-testid="tool-card"] .tool-body'), XSS_PAYLOADS, false));

  // The sidebar: every title.
  await page.waitForFunction(
    (titles) => {
      const list = document.querySelector('[data-testid="conversation-list"]')?.textContent ?? "";
      return titles.every((title) => list.includes(title));
    },
    XSS_PAYLOADS.map((payload) => payload.text),
  );
  notShown.push(...missing("conversation title", await textOf(page, '[data-testid="conversation-list"]'), XSS_PAYLOADS, true));

  // The agents panel: the descriptions the admin set.
  const toggle = page.getByTestId("agents-panel-toggle");
  if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click();
  for (const agent of setup.agents) await page.locator(`[data-testid="agent-row"][data-agent="${agent.name}"]`).waitFor();
  await scan();
  for (const agent of setup.agents) {
    notShown.push(...missing(`agent description (${agent.name})`, await textOf(page, `[data-testid="agent-row"][data-agent="${agent.name}"]`), agent.payloads, true));
  }

  // Approval cards: the comments, decided.
  for (const approval of setup.approvals) {
    await go(page, `#/c/${approval.conversationId}`);
    await page.locator('[data-testid="approval-card"][data-status="approved"] [data-testid="approval-outcome"]').waitFor();
    await page.getByTestId("workflow-output").waitFor();
    await scan();
    notShown.push(...missing("approval comment", await textOf(page, '[data-testid="approval-outcome"]'), approval.payloads, true));
  }

  // A workflow's output, written by its writer step.
  await go(page, `#/c/${setup.writerRun}`);
  await page.getByTestId("workflow-output").waitFor();
  await scan();
  notShown.push(...missing("workflow output", await textOf(page, '[data-testid="workflow-output"]'), XSS_PAYLOADS, false));

  // The workflows view with its runs (whose inputs carry payloads).
  await go(page, "#/workflows/order-triage");
  await page.getByTestId("workflow-runs").waitFor();
  await page.locator('[data-testid="workflow-run-line"]').first().waitFor();
  await scan();

  for (const found of scans) results.injected.add(found);
  return notShown;
}

/**
 * The detectors work: HTML injected on purpose (payload 0) is found by the scan, and runs without
 * the policy (calling `__xss(0)`) or is reported as a violation with it. Waits for that, no clock.
 */
async function control(page: Page, watch: Watch, bypassCSP: boolean): Promise<void> {
  const before = await page.evaluate(() => (window as unknown as { __cspViolations: unknown[] }).__cspViolations.length);
  await page.evaluate(() => document.body.insertAdjacentHTML("beforeend", '<img id="xss-control" src="x-control" onerror="__xss(0)">'));
  expect(await injectedElements(page)).toContain("<img onerror>");
  if (bypassCSP) {
    while (!watch.executed.has(0)) await new Promise<void>((resolve) => watch.waiters.push(resolve));
  } else {
    await page.waitForFunction((count) => (window as unknown as { __cspViolations: unknown[] }).__cspViolations.length > count, before);
  }
  await page.evaluate(() => document.getElementById("xss-control")?.remove());
}

async function pass(bypassCSP: boolean): Promise<{ watch: Watch; violations: Violation[]; notShown: string[] }> {
  const { context, page, watch } = await openWatched(bypassCSP);
  try {
    const notShown = await visitEverything(page);
    const violations = bypassCSP ? [] : await policyViolations(page);
    // What the payloads did, before the control adds its own execution, report and console line.
    const seen: Watch = { ...watch, executed: new Set(watch.executed), dialogs: [...watch.dialogs], cspConsole: [...watch.cspConsole], errors: [...watch.errors] };
    await control(page, watch, bypassCSP);
    for (const id of seen.executed) results.executed.add(id);
    for (const message of seen.dialogs) {
      const id = Number(/xss-(\d+)/.exec(message)?.[1] ?? -1);
      results.executed.add(id);
    }
    results.dialogs += seen.dialogs.length;
    results.cspViolations += violations.length + seen.cspConsole.length;
    results.notShown.push(...notShown.map((line) => `${bypassCSP ? "without CSP" : "with CSP"}: ${line}`));
    return { watch: seen, violations, notShown };
  } finally {
    await context.close();
  }
}

describe("XSS payloads in Chromium", () => {
  it("none runs, with the Content-Security-Policy as users get it; the policy reports nothing blocked; each shows as text", async () => {
    const { watch, violations, notShown } = await pass(false);
    expect([...watch.executed], "payloads that called __xss").toEqual([]);
    expect(watch.dialogs).toEqual([]);
    expect(violations, "policy violations: HTML from the data reached the DOM").toEqual([]);
    expect(watch.cspConsole).toEqual([]);
    expect(watch.errors).toEqual([]);
    expect(notShown).toEqual([]);
  });

  it("none runs with the policy bypassed either: the rendering alone keeps every payload inert", async () => {
    const { watch, notShown } = await pass(true);
    expect([...watch.executed], "payloads that called __xss").toEqual([]);
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    expect(notShown).toEqual([]);
  });

  it("meets the targets", async () => {
    const health = await platform.api.request("GET", "/api/health");
    record(health.status === 200 ? 0 : 1);
    expect(health.status).toBe(200);
    expect([...results.injected], "elements or attributes that could run script").toEqual([]);
    expect(results.executed.size).toBe(0);
    expect(results.cspViolations).toBe(0);
  });
});

function record(crashes = 0): void {
  recorded = true;
  const surfaces = 8;
  recordFaultRow({
    scenario: "xss: payloads rendered in Chromium",
    load: `${XSS_PAYLOADS.length} payloads on ${surfaces} surfaces, 2 passes (with and without CSP), ${results.views} views`,
    faults: "messages, Markdown answers, handoff reasons, tool args, titles, agent descriptions, workflow input/output, approval comments",
    lost: 0,
    duplicated: 0,
    failed: 0,
    http5xx: 0,
    crashes,
    extra: {
      "executed payloads": results.executed.size,
      "CSP violations": results.cspViolations,
      "injected elements": results.injected.size,
      "payloads not shown as text": results.notShown.length,
    },
  });
}
