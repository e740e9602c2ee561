import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { chromium, type Browser } from "playwright-core";
import { startAgents } from "../agents/agents-process.js";
import { createChatCompletionsFetch } from "../agents/model/chat-completions-fetch.js";
import { builtInAgents } from "../agents/team/built-in-team.js";
import { ensureClientBuilt } from "../bin/client-build.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { createLogger } from "../platform/logger.js";
import { connectRedis } from "../platform/redis.js";
import { findRedisServer, spawnRedis } from "../platform/redis-server.js";
import { startServer } from "../server/server-process.js";
import { parseConfig } from "../shared/config.js";
import { keys as keyNames } from "../shared/keys.js";

/**
 * The browser client while a long answer streams in: frames per second (requestAnimationFrame
 * callbacks) and the share of the stream's time the page's main thread was blocked (long tasks,
 * over 50 ms each, as Chromium reports them), in Debian's headless Chromium, against the real
 * server and agents on a private Redis. The model streams one long answer word by word at a steady
 * pace into a conversation that already holds 1,000 events, with 10 and then 200 conversations in
 * the sidebar. Idle frames per second in the same page, before the stream, are the baseline a
 * noisy machine allows. A phase of `npm run bench`; alone, `npx tsx bench/browser-bench.ts`
 * rewrites the Browser section of docs/benchmarks.md.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TOKEN = "browser-bench-token-0123456789";
/** Words in the streamed answer and the wait between them: about 25 s of streaming. */
const ANSWER_WORDS = Number(process.env.BROWSER_BENCH_WORDS ?? 800);
const WORD_MS = Number(process.env.BROWSER_BENCH_WORD_MS ?? 30);
const HISTORY_EVENTS = 1000;
const SIDEBAR_SIZES = [10, 200];
const IDLE_MS = 3000;
/**
 * A page that falls behind the stream (each delta costing more than the time to the next) can take
 * many minutes to catch up: this long after its bubble appeared, the stream's window closes at the
 * page's last report and the row says the page was still behind.
 */
const STREAM_LIMIT_MS = Number(process.env.BROWSER_BENCH_LIMIT_MS ?? 90_000);
/** The targets of issue #11. */
export const TARGET_FPS = 50;
export const TARGET_BLOCKED = 0.1;
const STREAM_PROMPT = "Write the long report.";
/**
 * With BROWSER_BENCH_TRACE=1, each size's stream is also recorded as a Chromium performance trace
 * (the DevTools timeline categories) and the main thread's time is summed by event name: where a
 * missed target's time goes. Tracing costs time of its own, so its rows are not the figures. The
 * sums are of the thread's CPU time where the trace has it (`tdur`): on a machine shared with other
 * work, wall time also counts the waits for a core, CPU time only what the page did.
 */
const TRACE = process.env.BROWSER_BENCH_TRACE === "1";
/** With BROWSER_BENCH_SCREENSHOTS=<dir>, each size's page is shot mid-stream and once the answer is in. */
const SCREENSHOTS = process.env.BROWSER_BENCH_SCREENSHOTS;
const TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink.user_timing"];
/** The trace events worth naming: the browser's own pipeline stages and the page's scripting. */
const TRACE_NAMES: Record<string, string> = {
  UpdateLayoutTree: "Recalculate style",
  Layout: "Layout",
  PrePaint: "Pre-paint",
  Paint: "Paint",
  Layerize: "Layerize",
  Commit: "Commit",
  HitTest: "Hit test",
  FunctionCall: "Scripting (function calls)",
  EventDispatch: "Event dispatch",
  FireAnimationFrame: "Animation frame callbacks",
  TimerFire: "Timers",
  "v8.run": "Scripting (v8.run)",
  MinorGC: "Minor GC",
  MajorGC: "Major GC",
  ParseHTML: "Parse HTML",
  UpdateLayerTree: "Update layer tree",
  ScrollLayer: "Scroll",
  RunTask: "All tasks (RunTask)",
};
const say = (line: string) => process.stdout.write(`${line}\n`);

export interface BrowserRow {
  conversations: number;
  events: number;
  idleFps: number;
  streamFps: number;
  streamMs: number;
  /** Sum of the long tasks' time within the stream. */
  blockedMs: number;
  /** Total blocking time: each long task's time past 50 ms. */
  tbtMs: number;
  longTasks: number;
  longestTaskMs: number;
  /** The page still showed the answer streaming when the window closed at `STREAM_LIMIT_MS`. */
  behind: boolean;
  /** The machine's one-minute load average as the stream ended: how much else was running. */
  load: number;
  /** With BROWSER_BENCH_TRACE=1: the main thread's time (ms) by trace event, largest first. */
  trace?: { name: string; ms: number; count: number }[];
}

/** Sums the renderer main thread's complete events by name (nested ones count in their parents too), in CPU time where known. */
function summarizeTrace(buffer: Buffer): { name: string; ms: number; count: number }[] {
  const events = (
    JSON.parse(buffer.toString("utf8")) as { traceEvents: { name: string; ph: string; dur?: number; tdur?: number; pid: number; tid: number; args?: { name?: string } }[] }
  ).traceEvents;
  const main = new Set(events.filter((event) => event.name === "thread_name" && event.args?.name === "CrRendererMain").map((event) => `${event.pid}:${event.tid}`));
  const sums = new Map<string, { ms: number; count: number }>();
  for (const event of events) {
    if (event.ph !== "X" || event.dur === undefined || !main.has(`${event.pid}:${event.tid}`)) continue;
    const label = TRACE_NAMES[event.name];
    if (label === undefined) continue;
    const sum = sums.get(label) ?? { ms: 0, count: 0 };
    sum.ms += (event.tdur ?? event.dur) / 1000;
    sum.count += 1;
    sums.set(label, sum);
  }
  return [...sums].map(([name, sum]) => ({ name, ...sum })).sort((a, b) => b.ms - a.ms);
}

export interface BrowserFigures {
  rows: BrowserRow[];
  words: number;
  wordMs: number;
}

const WORDS = "the team reads every queue and answers with care so that each handoff lands where it should while the run keeps going".split(" ");

/** A long answer with the markdown an answer has: headings, paragraphs, lists, emphasis, code. */
function longAnswer(words: number): string {
  const parts: string[] = [];
  let count = 0;
  for (let section = 1; count < words; section++) {
    parts.push(`## Part ${section}`);
    const sentence = (length: number) => Array.from({ length }, () => WORDS[count++ % WORDS.length]).join(" ");
    parts.push(`${sentence(30)} **${sentence(3)}** ${sentence(20)} \`${WORDS[section % WORDS.length]}\`.`);
    parts.push([1, 2, 3].map((item) => `- ${sentence(8)} ${item}`).join("\n"));
    parts.push(`${sentence(25)}.`);
  }
  return parts.join("\n\n");
}

/** Seeded history, a turn in four events: the user's message, then the manager's run with its answer (some markdown). */
function seededTurn(turn: number) {
  const runId = `seed${turn}`;
  const text = `Message ${turn}: ${WORDS.slice(0, 8 + (turn % 12)).join(" ")}`;
  const usage = { promptTokens: 100, completionTokens: 20, totalTokens: 120 };
  return [
    { type: "message.user" as const, data: { text } },
    { type: "run.started" as const, agent: "manager", runId, data: { task: text, model: "bench", depth: 0, mode: "turn" as const } },
    { type: "message.agent" as const, agent: "manager", runId, data: { text: `${text}\n\n- **one** point\n- another \`point\`` } },
    {
      type: "run.completed" as const,
      agent: "manager",
      runId,
      data: { outcome: "answered" as const, usage, latencyMs: 800, costUsd: 0, steps: [{ step: 0, latencyMs: 800, usage, costUsd: 0, tools: [] }] },
    },
  ];
}

async function rest(baseUrl: string, method: string, route: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Frames and long tasks over a span of the page's clock. */
interface Span {
  frames: number;
  ms: number;
  blockedMs: number;
  tbtMs: number;
  longTasks: number;
  longestTaskMs: number;
}

/**
 * Counts frames and long tasks in the page from now on, and `__benchSummary(from, to)` sums them
 * over a window of the page's clock (a long task counted for its overlap). Once a streaming bubble
 * shows, every frame (at most every 250 ms) reports the stream's window so far to the bench through
 * `__benchReport`, and the last frame once the bubble is gone: a page far behind the stream cannot
 * keep the bench waiting for an answer to a question it has no time for. A string, not a function:
 * tsx would wrap the function's inner names in a helper the page lacks.
 */
const INSTRUMENT = `(() => {
  const frames = [];
  const tasks = [];
  let streamStart = 0;
  let streamEnd = 0;
  let reported = 0;
  const keep = (entries) => {
    for (const entry of entries) tasks.push({ start: entry.startTime, duration: entry.duration });
  };
  const observer = new PerformanceObserver((list) => keep(list.getEntries()));
  observer.observe({ type: "longtask" });
  const summary = (start, end) => {
    // A swamped page delivers observer callbacks late or never: what is queued is taken here.
    keep(observer.takeRecords());
    let blockedMs = 0, tbtMs = 0, longTasks = 0, longestTaskMs = 0;
    for (const task of tasks) {
      const overlap = Math.min(end, task.start + task.duration) - Math.max(start, task.start);
      if (overlap <= 0) continue;
      longTasks += 1;
      blockedMs += overlap;
      tbtMs += Math.max(0, overlap - 50);
      longestTaskMs = Math.max(longestTaskMs, task.duration);
    }
    return { frames: frames.filter((time) => time >= start && time <= end).length, ms: end - start, blockedMs, tbtMs, longTasks, longestTaskMs };
  };
  window.__benchSummary = summary;
  const tick = (time) => {
    frames.push(time);
    const streaming = document.querySelector('[data-testid="streaming-message"]') !== null;
    if (streaming && streamStart === 0) streamStart = time;
    if (!streaming && streamStart !== 0 && streamEnd === 0) streamEnd = time;
    if (streamStart !== 0 && (streamEnd === time || (streamEnd === 0 && time - reported >= 250))) {
      reported = time;
      window.__benchReport(summary(streamStart, streamEnd || time), streamEnd !== 0);
    }
    if (streamEnd === 0 || streamEnd === time) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

async function measureOnce(browser: Browser, baseUrl: string, conversationId: string, conversations: number): Promise<BrowserRow> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  context.setDefaultTimeout(120_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  let latest: Span | undefined;
  let began: () => void = () => {};
  let streamed: () => void = () => {};
  const shown = new Promise<void>((resolve) => (began = resolve));
  const ended = new Promise<boolean>((resolve) => (streamed = () => resolve(false)));
  await page.exposeFunction("__benchReport", (summary: Span, done: boolean) => {
    latest = summary;
    began();
    if (done) streamed();
  });
  try {
    await page.goto(`${baseUrl}/?token=${TOKEN}#/c/${conversationId}`);
    await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
    await page.waitForFunction((count) => document.querySelectorAll('[data-testid="message"]').length >= count, HISTORY_EVENTS / 2);
    await page.waitForFunction((count) => document.querySelectorAll("[data-conversation-id]").length >= count, conversations);
    await page.evaluate(INSTRUMENT);
    const idleStart = await page.evaluate(() => performance.now());
    await page.waitForTimeout(IDLE_MS);
    const idle = (await page.evaluate(`window.__benchSummary(${idleStart}, performance.now())`)) as Span;

    if (TRACE) await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    await rest(baseUrl, "POST", `/api/conversations/${conversationId}/messages`, { text: STREAM_PROMPT });
    await shown;
    if (SCREENSHOTS !== undefined) {
      await page.waitForFunction(() => (document.querySelector('[data-testid="streaming-message"]')?.textContent?.length ?? 0) > 1500);
      await page.screenshot({ path: path.join(SCREENSHOTS, `${conversations}-streaming.png`) });
    }
    let timer: NodeJS.Timeout | undefined;
    const behind = await Promise.race([ended, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STREAM_LIMIT_MS)))]);
    clearTimeout(timer);
    if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, `${conversations}-answered.png`) });
    const trace = TRACE ? summarizeTrace(await browser.stopTracing()) : undefined;
    const stream = latest;
    if (stream === undefined) throw new Error("the page reported nothing of the stream");
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join("\n")}`);
    return {
      conversations,
      events: HISTORY_EVENTS,
      idleFps: (idle.frames * 1000) / idle.ms,
      streamFps: (stream.frames * 1000) / stream.ms,
      streamMs: stream.ms,
      blockedMs: stream.blockedMs,
      tbtMs: stream.tbtMs,
      longTasks: stream.longTasks,
      longestTaskMs: stream.longestTaskMs,
      behind,
      load: os.loadavg()[0] ?? 0,
      ...(trace === undefined ? {} : { trace }),
    };
  } finally {
    await context.close();
  }
}

/** Starts Redis, the server and the agents in this process, seeds, and measures each sidebar size. */
export async function browserBench(): Promise<BrowserFigures> {
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed (Debian: apt-get install redis-server)");
  await ensureClientBuilt(createLogger("info"));
  const dir = mkdtempSync(path.join(os.tmpdir(), "switchboard-browser-bench-"));
  const redisServer = await spawnRedis({ binary, dir, persistent: false });
  const redisUrl = `redis://127.0.0.1:${redisServer.port}`;
  const unlimited = "0";
  const parsed = parseConfig({
    REDIS_URL: redisUrl,
    PORT: "0",
    SWITCHBOARD_PREFIX: "browserbench",
    SWITCHBOARD_TOKEN: TOKEN,
    LOG_LEVEL: "silent",
    SWITCHBOARD_RATE_CONVERSATIONS: unlimited,
    SWITCHBOARD_RATE_CONVERSATIONS_PER_ADDRESS: unlimited,
    SWITCHBOARD_RATE_MESSAGES: unlimited,
    SWITCHBOARD_RATE_MESSAGES_PER_ADDRESS: unlimited,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  const config = parsed.config;
  const log = createLogger("silent");
  const answer = longAnswer(ANSWER_WORDS);
  // Every model call answers at once with the long text, streamed a word at a time.
  const model = new OpenAI({
    apiKey: "bench",
    baseURL: "http://bench.switchboard/v1",
    maxRetries: 0,
    fetch: createChatCompletionsFetch({
      delayMs: WORD_MS,
      modelId: "bench",
      reply: () => ({ content: answer, toolCalls: [], usage: { prompt_tokens: 100, completion_tokens: ANSWER_WORDS, total_tokens: 100 + ANSWER_WORDS } }),
    }),
  });
  const agents = await startAgents({ config, redis: redisUrl, log, agents: await builtInAgents(), model });
  const server = await startServer({ config, redis: redisUrl, log, agents: () => agents });
  const redis = await connectRedis(redisUrl);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const long = (await rest(server.url, "POST", "/api/conversations", { title: "A long conversation" })).id as string;
    const conversationLog = new ConversationLog(redis, keyNames(config.prefix), log, 100_000);
    say(`browser: seeding ${HISTORY_EVENTS} events …`);
    for (let turn = 0; turn < HISTORY_EVENTS / 4; turn++) {
      for (const [index, event] of seededTurn(turn).entries()) await conversationLog.append(long, event, `seed${turn}:${index}`);
    }
    const rows: BrowserRow[] = [];
    let created = 1;
    for (const size of SIDEBAR_SIZES) {
      for (; created < size; created++) await rest(server.url, "POST", "/api/conversations", { title: `Conversation ${created}` });
      say(`browser: a ${ANSWER_WORDS}-word answer streaming, ${size} conversations, ${HISTORY_EVENTS} events in view …`);
      rows.push(await measureOnce(browser, server.url, long, size));
    }
    return { rows, words: ANSWER_WORDS, wordMs: WORD_MS };
  } finally {
    await browser.close();
    await server.close();
    await agents.close();
    redis.disconnect();
    redisServer.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Browser section of docs/benchmarks.md. */
export function renderBrowserSection(figures: BrowserFigures): string {
  const share = (row: BrowserRow) => row.blockedMs / row.streamMs;
  const met = figures.rows.every((row) => !row.behind && row.streamFps >= TARGET_FPS && share(row) < TARGET_BLOCKED);
  return [
    "## Browser",
    "",
    `\`bench/browser-bench.ts\`: Debian's headless Chromium (1440×900) on the page, while a ${figures.words}-word markdown answer`,
    `streams in a word every ${figures.wordMs} ms into a conversation holding ${HISTORY_EVENTS} events (${HISTORY_EVENTS / 2} messages), with the sidebar listing`,
    "10 and then 200 conversations. Frames per second count `requestAnimationFrame` callbacks; blocked is the",
    "time of the long tasks (over 50 ms) Chromium reports within the stream, total blocking time their time past",
    "50 ms each. Idle is the same page for 3 s before the stream: what the shared machine allows. Load is the",
    "machine's one-minute load average as the stream ended (two cores).",
    "",
    "| conversations | events in view | idle fps | fps while streaming | vs idle | stream (s) | blocked | share of the stream | total blocking time | long tasks (longest) | load |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...figures.rows.map(
      (row) =>
        `| ${row.conversations} | ${row.events} | ${row.idleFps.toFixed(1)} | ${row.streamFps.toFixed(1)} | ${(row.streamFps / row.idleFps).toFixed(2)}× | ${(row.streamMs / 1000).toFixed(1)}${row.behind ? " (cut: the page was still behind)" : ""} | ${(row.blockedMs / 1000).toFixed(2)} s | ${(share(row) * 100).toFixed(1)}% | ${(row.tbtMs / 1000).toFixed(2)} s | ${row.longTasks} (${row.longestTaskMs.toFixed(0)} ms) | ${row.load.toFixed(1)} |`,
    ),
    "",
    `Target (issue #11): at least ${TARGET_FPS} fps and under ${TARGET_BLOCKED * 100}% of the stream blocked at both sizes — ${met ? "met" : "missed"}.`,
    "",
  ].join("\n");
}

/** Replaces the section headed `## <heading>` of a benchmarks page (or adds it at the end). */
export function withSection(page: string, heading: string, section: string): string {
  const start = page.indexOf(`## ${heading}\n`);
  if (start === -1) return `${page.trimEnd()}\n\n${section}`;
  const next = page.indexOf("\n## ", start + 1);
  return `${page.slice(0, start)}${section}${next === -1 ? "" : page.slice(next)}`;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const figures = await browserBench();
  if (TRACE) {
    for (const row of figures.rows) {
      const seconds = row.streamMs / 1000;
      say(`\ntrace, ${row.conversations} conversations, ${seconds.toFixed(1)} s of stream, load ${row.load.toFixed(1)} (main thread CPU: ms, ms per second of stream, count):`);
      for (const entry of row.trace ?? []) say(`  ${entry.name.padEnd(28)} ${entry.ms.toFixed(0).padStart(8)} ${(entry.ms / seconds).toFixed(0).padStart(6)}/s  (${entry.count})`);
    }
  }
  const section = renderBrowserSection(figures);
  say(`\n${section}`);
  if (process.env.BROWSER_BENCH_WRITE !== "0" && !TRACE) {
    const file = path.join(ROOT, "docs", "benchmarks.md");
    writeFileSync(file, withSection(readFileSync(file, "utf8"), "Browser", section));
  }
}
