import { randomUUID } from "node:crypto";
import { inject, onTestFailed } from "vitest";
import { startAgents, type RunningAgents } from "../../agents/agents-process.js";
import type { AgentDefinition } from "../../agents/define-agent.js";
import { builtInAgents } from "../../agents/team/built-in-team.js";
import { createLogger } from "../../platform/logger.js";
import { startServer, type RunningServer } from "../../server/server-process.js";
import type OpenAI from "openai";
import type { WorkflowDefinition } from "../../workflows/define-workflow.js";
import { shippedWorkflows, shippedWorkflowTools } from "../../workflows/shipped.js";
import { hostWorkflows, loadWorkflows, withWorkflowsOnManager } from "../../workflows/workflows-hosting.js";
import type { AnyTool } from "../../agents/define-tool.js";
import { parseConfig, type Config } from "../../shared/config.js";
import type { Event } from "../../shared/events.js";
export { turnFinished } from "../../shared/turn-status.js";

export const TEST_TOKEN = "test-token-0123456789abcdef";

/**
 * Waits in these helpers have no deadline of their own: they last until what they wait for
 * happens, and only the test's timeout bounds them (generous for tests that start processes).
 * So that a test ended by its timeout still says what the wait saw, call this when a wait starts:
 * if the test fails while the wait is still going, its failure gets one more error, "still
 * waiting for <what>" with `seen()`, and `stop` is called to end the wait (abort a request, kill a
 * process). Call the function it returns once the wait is over. Outside a test (in a hook, in the
 * bench) it does nothing: the hook's own timeout applies.
 */
export function reportIfStillWaiting(what: string, seen: () => string, stop?: (reason: Error) => void): () => void {
  let waiting = true;
  // Made now, so its stack points at the wait in the test.
  const report = new Error(`still waiting for ${what}`);
  try {
    onTestFailed(() => {
      if (!waiting) return;
      waiting = false;
      report.message = `the test ended while still waiting for ${what}; ${seen()}`;
      stop?.(report);
      throw report;
    });
  } catch {
    // Not inside a test.
  }
  return () => {
    waiting = false;
  };
}

/** One line per event, for failure messages. */
export function describeEvents(events: readonly Event[]): string {
  if (events.length === 0) return "no events";
  return `${events.length} events:\n${events.map((e) => `  ${e.type}${e.agent ? ` ${e.agent}` : ""}`).join("\n")}`;
}

/** Settings for a test: a unique key prefix on the shared throwaway Redis, a free port, no model delay. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const parsed = parseConfig({
    PORT: "0",
    SWITCHBOARD_PREFIX: `t${randomUUID().replaceAll("-", "").slice(0, 12)}`,
    SWITCHBOARD_TOKEN: TEST_TOKEN,
    OFFLINE_MODEL_DELAY_MS: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    SWITCHBOARD_LOCK_MS: "2000",
    SWITCHBOARD_STALLED_MS: "1000",
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.config;
}

export interface Platform {
  config: Config;
  server: RunningServer;
  agents: RunningAgents | undefined;
  api: ApiClient;
  close(): Promise<void>;
}

/** The whole product in this process (server and, unless `agents: false`, the agents) on the test Redis. */
export async function startPlatform(
  options: {
    env?: Record<string, string>;
    /** Agents defined in code; the built-in team unless given. */
    team?: AgentDefinition[];
    /** False: the server alone. */
    agents?: boolean;
    catalogDir?: string;
    specialistsDir?: string;
    /** Workflows in code and the tools their steps use; the shipped ones unless a team is given. */
    workflows?: { definitions: WorkflowDefinition[]; tools?: AnyTool[] };
    /** The model the agents use: a scripted model's client, or the offline model when absent. */
    model?: OpenAI;
  } = {},
): Promise<Platform> {
  const config = testConfig(options.env);
  const redisUrl = inject("redisUrl");
  const log = createLogger(config.logLevel);
  const agents = options.agents === false ? undefined : await startTestAgents(config, redisUrl, options);
  const server = await startServer({ config, redisUrl, log });
  const platform: Platform = {
    config,
    server,
    agents,
    api: new ApiClient(server.url, TEST_TOKEN),
    close: async () => {
      await server.close();
      await platform.agents?.close();
    },
  };
  return platform;
}

/** Stops the platform's agents and starts them again, as a restart of the agents process would. */
export async function restartAgents(platform: Platform, options: Parameters<typeof startPlatform>[0] & object = {}): Promise<void> {
  await platform.agents?.close();
  platform.agents = await startTestAgents(platform.config, inject("redisUrl"), options);
}

async function startTestAgents(config: Config, redisUrl: string, options: Parameters<typeof startPlatform>[0] & object): Promise<RunningAgents> {
  const workflows = await loadWorkflows({
    // The shipped workflows use the built-in team; a test with a team of its own brings its own.
    code: options.workflows?.definitions ?? (options.team ? [] : shippedWorkflows),
    tools: options.workflows?.tools ?? (options.team ? [] : shippedWorkflowTools),
    catalogDir: options.catalogDir,
  });
  return startAgents({
    config,
    redisUrl,
    log: createLogger(config.logLevel),
    agents: withWorkflowsOnManager(options.team ?? (await builtInAgents()), workflows),
    catalogDir: options.catalogDir,
    specialistsDir: options.specialistsDir,
    hosted: hostWorkflows(workflows),
    ...(options.model ? { model: options.model } : {}),
  });
}

/** How long one long-poll request may be held when nothing new is logged; a wait sends as many as it needs. */
const LONG_POLL_MS = 10_000;

/** A REST client as a user's program would write it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async request(method: string, path: string, body?: unknown, init: { raw?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}) {
    const headers: Record<string, string> = { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...init.headers };
    if (body !== undefined || init.raw !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: init.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async createConversation(): Promise<string> {
    const response = await this.request("POST", "/api/conversations", {});
    if (response.status !== 201) throw new Error(`create conversation: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  }

  async send(conversationId: string, text: string): Promise<string> {
    const response = await this.request("POST", `/api/conversations/${conversationId}/messages`, { text });
    if (response.status !== 202) throw new Error(`send: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.eventId as string;
  }

  async events(conversationId: string, after = "0", wait = 0, signal?: AbortSignal): Promise<Event[]> {
    const query = new URLSearchParams({ after, ...(wait > 0 ? { wait: String(wait) } : {}) });
    const response = await this.request("GET", `/api/conversations/${conversationId}/events?${query}`, undefined, signal ? { signal } : {});
    if (response.status !== 200) throw new Error(`events: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.events as Event[];
  }

  /**
   * Follows the log (long polling, as `npm run chat` does) from `after` (the start unless given)
   * until `done` says it holds what the caller waits for; returns the events read. No deadline:
   * the test's timeout bounds it, and a test that ends meanwhile reports the events so far.
   */
  async waitFor(conversationId: string, done: (events: Event[]) => boolean, options: { after?: string; what?: string } = {}): Promise<Event[]> {
    const events: Event[] = [];
    let cursor = options.after ?? "0";
    const abort = new AbortController();
    const over = reportIfStillWaiting(
      options.what ?? `the log of conversation ${conversationId} to hold what the test expects`,
      () => `read from the log after ${options.after ?? "its start"}: ${describeEvents(events)}`,
      () => abort.abort(),
    );
    try {
      while (!done(events)) {
        const next = await this.events(conversationId, cursor, LONG_POLL_MS, abort.signal);
        events.push(...next);
        cursor = next.at(-1)?.id ?? cursor;
      }
      return events;
    } finally {
      over();
    }
  }
}
