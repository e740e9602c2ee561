/**
 * The REST half of the server contract. Every answer is parsed with its schema: an item the page
 * does not understand is skipped rather than crashing the view, and errors become `RequestError`
 * with the server's own words.
 */
import { z } from "zod";
import { AgentHistoryEntry, AgentSource, AgentStatus, type AgentSpecInput } from "../../shared/agent-spec.js";
import { Conversation, ConversationHit } from "../../shared/api.js";
import { Approval } from "../../shared/approval.js";
import { ErrorBody, ErrorCode } from "../../shared/errors.js";
import { Budget, Event, type ApprovalDecision } from "../../shared/events.js";
import { RecordedStep } from "../../shared/run-steps.js";
import { WorkflowGraph, WorkflowRunLine, WorkflowRunView } from "../../shared/workflow.js";

/**
 * An agent of the team, as GET /api/agents lists it. Lenient on purpose: the graph and the chat
 * only need the name, so fields an older server does not send get defaults instead of hiding it.
 */
export const AgentSummary = z.object({
  name: z.string().min(1),
  description: z.string().default(""),
  instructions: z.string().optional(),
  /** The model it runs on: its own, or the server's default (the API does not say which). */
  model: z.string().default(""),
  temperature: z.number().optional(),
  maxTokens: z.number().optional(),
  tools: z.array(z.string()).default([]),
  /** Target names, or `"*"` (EVERY_AGENT): every enabled agent of the team. */
  handoffs: z.array(z.string()).default([]),
  /** A disabled agent stays in the team but takes no work; absent means enabled. */
  enabled: z.boolean().optional(),
  source: AgentSource.optional(),
  /** For catalog agents, the file it came from. */
  origin: z.string().optional(),
  /** A team member that runs elsewhere: its runs go to this A2A agent (a link only catalog files make). */
  remote: z.object({ kind: z.string(), card: z.string() }).optional().catch(undefined),
  status: AgentStatus.optional(),
});
export type AgentSummary = z.infer<typeof AgentSummary>;
export type { AgentHistoryEntry, Conversation, ConversationHit };

/** A tool agents may be given, as GET /api/tools lists it. */
export const ToolInfo = z.object({ name: z.string().min(1), description: z.string().default("") });
export type ToolInfo = z.infer<typeof ToolInfo>;

/** Who the token belongs to; only the admin may change the team. */
/** An MCP server as GET /api/mcp-servers lists it: its state and the tools agents may be given. */
export const McpServerInfo = z.object({
  name: z.string().min(1),
  transport: z.string().default("http"),
  source: z.string().default("api"),
  target: z.string().default(""),
  headers: z.array(z.string()).default([]),
  state: z.string().default("unknown"),
  reason: z.string().optional(),
  tools: z.array(z.object({ name: z.string(), description: z.string().default("") })).default([]),
  lastError: z.object({ message: z.string(), at: z.string() }).optional(),
});
export type McpServerInfo = z.infer<typeof McpServerInfo>;

export const Identity = z.object({ user: z.string(), admin: z.boolean() });
export type Identity = z.infer<typeof Identity>;

/**
 * A workflow as GET /api/workflows lists it: everything the page draws and the form it builds.
 * Lenient like AgentSummary: a field an older or newer server leaves out gets a default.
 */
export const WorkflowInfo = z.object({
  name: z.string().min(1),
  description: z.string().default(""),
  version: z.string().default(""),
  inputSchema: z.record(z.string(), z.unknown()).default({}),
  graph: WorkflowGraph.default({ nodes: [], edges: [] }),
  budget: Budget,
});
export type WorkflowInfo = z.infer<typeof WorkflowInfo>;
export type { WorkflowRunLine, WorkflowRunView };

export const StartedRun = z.object({ runId: z.string(), conversationId: z.string() });
export type StartedRun = z.infer<typeof StartedRun>;

/**
 * Codes this page gives failures no server named: no answer (`network`, `timeout`), an answer it
 * cannot read (`bad_response`, `http_error`), or a code newer than this page (`unrecognized`).
 */
export type LocalErrorCode = "network" | "timeout" | "bad_response" | "http_error" | "unrecognized";

/** What the page branches on: a server's code (shared/errors.ts) or one of its own. */
export type FailureCode = ErrorCode | LocalErrorCode;

/**
 * A server's error as this page reads it. A code from a newer server becomes `unrecognized` instead
 * of failing the parse: the page then has no special handling for it, and shows the server's message.
 */
export const ReceivedError = ErrorBody.extend({
  code: ErrorCode.or(z.string().transform((): LocalErrorCode => "unrecognized")),
});
export type ReceivedError = z.infer<typeof ReceivedError>;

export class RequestError extends Error {
  override readonly name = "RequestError";
  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached at all. */
    readonly status: number,
    readonly code: FailureCode,
  ) {
    super(message);
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

export interface SwitchboardApi {
  listConversations(signal?: AbortSignal): Promise<Conversation[]>;
  /** `automatic`: the page made the title (from the first message); the server keeps it distinct from the others. */
  /** `agent`: a conversation that talks to that agent directly, not through the manager. */
  createConversation(title?: string, options?: { automatic?: boolean; agent?: string }): Promise<Conversation>;
  renameConversation(conversationId: string, title: string): Promise<Conversation>;
  /** Deletes it with its log and runs; `409 turn_running` while a turn is still going. */
  deleteConversation(conversationId: string): Promise<void>;
  /** The user's conversations whose title or messages contain `query`, each with what matched. */
  searchConversations(query: string, signal?: AbortSignal): Promise<ConversationHit[]>;
  listEvents(conversationId: string, after?: string, signal?: AbortSignal): Promise<Event[]>;
  listAgents(signal?: AbortSignal): Promise<AgentSummary[]>;
  listTools(signal?: AbortSignal): Promise<ToolInfo[]>;
  listMcpServers(signal?: AbortSignal): Promise<McpServerInfo[]>;
  /** Adds a streamable-HTTP MCP server (admin); 400 `invalid_mcp_server` names the fields, 409 a taken name. */
  addMcpServer(server: { name: string; url: string; headers: Record<string, string> }): Promise<void>;
  me(signal?: AbortSignal): Promise<Identity>;
  createAgent(spec: AgentSpecInput): Promise<void>;
  /** Sends the whole definition: the server replaces the agent with it. */
  updateAgent(name: string, spec: AgentSpecInput): Promise<void>;
  deleteAgent(name: string): Promise<void>;
  /** The agent's saved definitions, newest first. */
  agentHistory(name: string, signal?: AbortSignal): Promise<AgentHistoryEntry[]>;
  /** Saves definition `n` of the agent's history again, as its newest (admin). */
  restoreAgent(name: string, n: number): Promise<void>;
  listWorkflows(signal?: AbortSignal): Promise<WorkflowInfo[]>;
  /** Starts a run (in a new conversation unless one is given); 400 `invalid_input` names the fields. */
  startWorkflowRun(name: string, input: unknown, conversationId?: string): Promise<StartedRun>;
  listWorkflowRuns(signal?: AbortSignal): Promise<WorkflowRunLine[]>;
  getWorkflowRun(runId: string, signal?: AbortSignal): Promise<WorkflowRunView>;
  cancelWorkflowRun(runId: string): Promise<void>;
  /** What each model step of a run was sent and answered (the conversation's owner and the admin only). */
  runSteps(conversationId: string, runId: string, signal?: AbortSignal): Promise<RecordedStep[]>;
  /** The REST way to decide (the page uses the socket while connected); 409 says who decided first. */
  decideApproval(approvalId: string, decision: ApprovalDecision, comment?: string): Promise<Approval | undefined>;
  /** Stops the conversation's running turn (the page uses the socket while connected); 409 when none runs. */
  stopTurn(conversationId: string): Promise<void>;
  /** Sends user message `eventId` again (`retry`) or new text in its place (`edit`); resolves to the new message's id. */
  replaceMessage(conversationId: string, eventId: string, request: { mode: "retry" | "edit"; text?: string; clientMsgId: string }): Promise<string>;
}

/** Keeps the items that parse; one malformed entry must not hide the rest. */
/** The items `schema` accepts: one this page does not understand is skipped, not fatal. */
export function parseKnown<T>(schema: z.ZodType<T>, items: readonly unknown[]): T[] {
  const parsed: T[] = [];
  for (const item of items) {
    const result = schema.safeParse(item);
    if (result.success) parsed.push(result.data);
  }
  return parsed;
}

function parseEach<T>(schema: z.ZodType<T>, items: unknown): T[] {
  if (!Array.isArray(items)) throw new RequestError("The server sent an answer this page does not understand.", 200, "bad_response");
  return parseKnown(schema, items);
}

const field = (body: unknown, key: string): unknown =>
  typeof body === "object" && body !== null && key in body ? (body as Record<string, unknown>)[key] : undefined;

export function createApi(token: string, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): SwitchboardApi {
  async function request(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    let response: Response;
    try {
      response = await fetchImpl(path, {
        method,
        headers: {
          Accept: "application/json",
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new RequestError("Could not reach the Switchboard server. Is it running?", 0, "network");
    }
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      payload = undefined;
    }
    if (!response.ok) {
      const parsed = ReceivedError.safeParse(field(payload, "error"));
      if (parsed.success) throw new RequestError(parsed.data.message, response.status, parsed.data.code);
      const fallback = response.status === 401 ? "The access token was not accepted." : `The server answered ${response.status} ${response.statusText}.`;
      throw new RequestError(fallback, response.status, "http_error");
    }
    return payload;
  }

  return {
    async listConversations(signal) {
      return parseEach(Conversation, field(await request("GET", "/api/conversations", undefined, signal), "conversations"));
    },
    async createConversation(title, options) {
      const payload = await request("POST", "/api/conversations", {
        ...(title === undefined ? {} : { title, ...(options?.automatic ? { automatic: true } : {}) }),
        ...(options?.agent === undefined ? {} : { agent: options.agent }),
      });
      const parsed = Conversation.safeParse(payload);
      if (parsed.success) return parsed.data;
      // The design document promises only `{id}`; fill in the rest rather than fail.
      const id = Conversation.shape.id.safeParse(field(payload, "id"));
      if (!id.success) throw new RequestError("The server did not return the new conversation.", 201, "bad_response");
      return { id: id.data, title: title ?? "", createdAt: new Date().toISOString() };
    },
    async renameConversation(conversationId, title) {
      const parsed = Conversation.safeParse(await request("PATCH", `/api/conversations/${encodeURIComponent(conversationId)}`, { title }));
      if (!parsed.success) throw new RequestError("The server did not return the renamed conversation.", 200, "bad_response");
      return parsed.data;
    },
    async deleteConversation(conversationId) {
      await request("DELETE", `/api/conversations/${encodeURIComponent(conversationId)}`);
    },
    async searchConversations(query, signal) {
      const payload = await request("GET", `/api/conversations?q=${encodeURIComponent(query)}`, undefined, signal);
      return parseEach(ConversationHit, field(payload, "conversations"));
    },
    async listEvents(conversationId, after, signal) {
      const query = after === undefined ? "" : `?after=${encodeURIComponent(after)}`;
      const payload = await request("GET", `/api/conversations/${encodeURIComponent(conversationId)}/events${query}`, undefined, signal);
      return parseEach(Event, field(payload, "events"));
    },
    async listAgents(signal) {
      return parseEach(AgentSummary, field(await request("GET", "/api/agents", undefined, signal), "agents"));
    },
    async listTools(signal) {
      return parseEach(ToolInfo, field(await request("GET", "/api/tools", undefined, signal), "tools"));
    },
    async listMcpServers(signal) {
      return parseEach(McpServerInfo, field(await request("GET", "/api/mcp-servers", undefined, signal), "servers"));
    },
    async addMcpServer(server) {
      await request("POST", "/api/mcp-servers", server);
    },
    async me(signal) {
      const parsed = Identity.safeParse(await request("GET", "/api/me", undefined, signal));
      if (!parsed.success) throw new RequestError("The server did not say who the token belongs to.", 200, "bad_response");
      return parsed.data;
    },
    async createAgent(spec) {
      await request("POST", "/api/agents", spec);
    },
    async updateAgent(name, spec) {
      await request("PUT", `/api/agents/${encodeURIComponent(name)}`, spec);
    },
    async deleteAgent(name) {
      await request("DELETE", `/api/agents/${encodeURIComponent(name)}`);
    },
    async agentHistory(name, signal) {
      return parseEach(AgentHistoryEntry, field(await request("GET", `/api/agents/${encodeURIComponent(name)}/history`, undefined, signal), "history"));
    },
    async restoreAgent(name, n) {
      await request("POST", `/api/agents/${encodeURIComponent(name)}/restore`, { n });
    },
    async listWorkflows(signal) {
      return parseEach(WorkflowInfo, field(await request("GET", "/api/workflows", undefined, signal), "workflows"));
    },
    async startWorkflowRun(name, input, conversationId) {
      const body = conversationId === undefined ? { input } : { input, conversationId };
      const parsed = StartedRun.safeParse(await request("POST", `/api/workflows/${encodeURIComponent(name)}/runs`, body));
      if (!parsed.success) throw new RequestError("The server did not say which run it started.", 202, "bad_response");
      return parsed.data;
    },
    async listWorkflowRuns(signal) {
      return parseEach(WorkflowRunLine, field(await request("GET", "/api/workflow-runs", undefined, signal), "runs"));
    },
    async getWorkflowRun(runId, signal) {
      const parsed = WorkflowRunView.safeParse(await request("GET", `/api/workflow-runs/${encodeURIComponent(runId)}`, undefined, signal));
      if (!parsed.success) throw new RequestError("The server sent a run this page does not understand.", 200, "bad_response");
      return parsed.data;
    },
    async cancelWorkflowRun(runId) {
      await request("POST", `/api/workflow-runs/${encodeURIComponent(runId)}/cancel`, {});
    },
    async runSteps(conversationId, runId, signal) {
      const path = `/api/conversations/${encodeURIComponent(conversationId)}/runs/${encodeURIComponent(runId)}/steps`;
      return parseEach(RecordedStep, field(await request("GET", path, undefined, signal), "steps"));
    },
    async stopTurn(conversationId) {
      await request("POST", `/api/conversations/${encodeURIComponent(conversationId)}/stop`, {});
    },
    async replaceMessage(conversationId, eventId, { mode, text, clientMsgId }) {
      const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(eventId)}/${mode}`;
      const payload = await request("POST", path, mode === "edit" ? { text, clientMsgId } : { clientMsgId });
      return String(field(payload, "eventId") ?? "");
    },
    async decideApproval(approvalId, decision, comment) {
      const body = comment === undefined || comment.trim() === "" ? { decision } : { decision, comment: comment.trim() };
      const payload = await request("POST", `/api/approvals/${encodeURIComponent(approvalId)}`, body);
      const parsed = Approval.safeParse(field(payload, "approval") ?? payload);
      return parsed.success ? parsed.data : undefined;
    },
  };
}
