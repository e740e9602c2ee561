/**
 * The REST half of the server contract. Every answer is parsed with its schema: an item the page
 * does not understand is skipped rather than crashing the view, and errors become `RequestError`
 * with the server's own words.
 */
import { z } from "zod";
import { AgentSource, AgentStatus, type AgentSpecInput } from "../../shared/agent-spec.js";
import { Conversation } from "../../shared/api.js";
import { Approval } from "../../shared/approval.js";
import { ErrorBody, ErrorCode } from "../../shared/errors.js";
import { Budget, Event, type ApprovalDecision } from "../../shared/events.js";
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
  tools: z.array(z.string()).default([]),
  /** Target names, or `"*"` (EVERY_AGENT): every enabled agent of the team. */
  handoffs: z.array(z.string()).default([]),
  /** A disabled agent stays in the team but takes no work; absent means enabled. */
  enabled: z.boolean().optional(),
  source: AgentSource.optional(),
  /** For catalog agents, the file it came from. */
  origin: z.string().optional(),
  status: AgentStatus.optional(),
});
export type AgentSummary = z.infer<typeof AgentSummary>;
export type { Conversation };

/** A tool agents may be given, as GET /api/tools lists it. */
export const ToolInfo = z.object({ name: z.string().min(1), description: z.string().default("") });
export type ToolInfo = z.infer<typeof ToolInfo>;

/** Who the token belongs to; only the admin may change the team. */
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
  createConversation(title?: string): Promise<Conversation>;
  listEvents(conversationId: string, after?: string, signal?: AbortSignal): Promise<Event[]>;
  listAgents(signal?: AbortSignal): Promise<AgentSummary[]>;
  listTools(signal?: AbortSignal): Promise<ToolInfo[]>;
  me(signal?: AbortSignal): Promise<Identity>;
  createAgent(spec: AgentSpecInput): Promise<void>;
  /** Sends the whole definition: the server replaces the agent with it. */
  updateAgent(name: string, spec: AgentSpecInput): Promise<void>;
  deleteAgent(name: string): Promise<void>;
  listWorkflows(signal?: AbortSignal): Promise<WorkflowInfo[]>;
  /** Starts a run (in a new conversation unless one is given); 400 `invalid_input` names the fields. */
  startWorkflowRun(name: string, input: unknown, conversationId?: string): Promise<StartedRun>;
  listWorkflowRuns(signal?: AbortSignal): Promise<WorkflowRunLine[]>;
  getWorkflowRun(runId: string, signal?: AbortSignal): Promise<WorkflowRunView>;
  cancelWorkflowRun(runId: string): Promise<void>;
  /** The REST way to decide (the page uses the socket while connected); 409 says who decided first. */
  decideApproval(approvalId: string, decision: ApprovalDecision, comment?: string): Promise<Approval | undefined>;
}

/** Keeps the items that parse; one malformed entry must not hide the rest. */
function parseEach<T>(schema: z.ZodType<T>, items: unknown): T[] {
  if (!Array.isArray(items)) throw new RequestError("The server sent an answer this page does not understand.", 200, "bad_response");
  const parsed: T[] = [];
  for (const item of items) {
    const result = schema.safeParse(item);
    if (result.success) parsed.push(result.data);
  }
  return parsed;
}

const field = (body: unknown, key: string): unknown =>
  typeof body === "object" && body !== null && key in body ? (body as Record<string, unknown>)[key] : undefined;

export function createApi(token: string, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): SwitchboardApi {
  async function request(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
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
    async createConversation(title) {
      const payload = await request("POST", "/api/conversations", title === undefined ? {} : { title });
      const parsed = Conversation.safeParse(payload);
      if (parsed.success) return parsed.data;
      // The design document promises only `{id}`; fill in the rest rather than fail.
      const id = Conversation.shape.id.safeParse(field(payload, "id"));
      if (!id.success) throw new RequestError("The server did not return the new conversation.", 201, "bad_response");
      return { id: id.data, title: title ?? "", createdAt: new Date().toISOString() };
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
    async decideApproval(approvalId, decision, comment) {
      const body = comment === undefined || comment.trim() === "" ? { decision } : { decision, comment: comment.trim() };
      const payload = await request("POST", `/api/approvals/${encodeURIComponent(approvalId)}`, body);
      const parsed = Approval.safeParse(field(payload, "approval") ?? payload);
      return parsed.success ? parsed.data : undefined;
    },
  };
}
