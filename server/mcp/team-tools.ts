import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Conversations } from "../../platform/conversations.js";
import type { LogTail } from "../../platform/log-tail.js";
import type { Logger } from "../../platform/logger.js";
import type { WorkflowRegistry } from "../../platform/workflow-registry.js";
import { ConversationId, messageText } from "../../shared/api.js";
import type { Event } from "../../shared/events.js";
import { workflowToolName, type WorkflowSummary } from "../../shared/workflow.js";
import type { Identity } from "../auth.js";
import { clientFacing } from "../http-error.js";
import { followLog } from "../log-follow.js";
import type { MessageIntake } from "../message-intake.js";
import type { RateLimits } from "../rate-limits.js";
import type { TurnControl } from "../turn-control.js";
import { TurnProgress, type TurnOutcome } from "../turn-progress.js";
import { WorkflowStarts, type WorkflowRunStore } from "../workflow-starts.js";
import type { CallRegistry, CallTarget } from "./call-registry.js";

export const ASK_TOOL = "ask_team";

/** The caller of a tool: who (the bearer token's user) and from where (rate limits count both). */
export interface Caller {
  identity: Identity;
  address: string;
}

/** What a tool call gets from its MCP request: its id, its progress token, and whether the client gave up. */
export interface CallContext {
  requestId: string | number;
  signal: AbortSignal;
  /** Sends one progress notification; a no-op when the client asked for none. */
  progress(message: string): void;
}

export interface TeamToolsDeps {
  conversations: Conversations;
  tail: LogTail;
  intake: MessageIntake;
  turns: TurnControl;
  workflows: WorkflowRegistry;
  runs: WorkflowRunStore;
  limits: RateLimits;
  calls: CallRegistry;
  maxMessageChars: number;
  /** How long one call waits for the team or a workflow run. */
  callTimeoutMs: number;
  log: Logger;
}

const AskResult = z.object({
  answer: z.string().describe("The team's answer"),
  agents: z.array(z.string()).describe("The agents that worked on it, in the order they started"),
  conversationId: z.string().describe("Pass it to ask_team again to continue this conversation"),
});
type AskResult = z.infer<typeof AskResult>;

const WorkflowResult = z.object({
  output: z.unknown().optional().describe("The workflow's output (absent when a gate or a rejection stopped it)"),
  stopped: z.object({ path: z.string(), reason: z.string() }).optional().describe("Where and why a gate stopped the run early"),
  runId: z.string().describe("The run, as GET /api/workflow-runs/:runId shows it"),
  conversationId: z.string().describe("The conversation that holds the run's events"),
});

const jsonSchema = (schema: z.ZodType, io: "input" | "output") => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return rest as Tool["inputSchema"];
};

const failure = (message: string): CallToolResult => ({ isError: true, content: [{ type: "text", text: message }] });

type Followed<T> = { outcome: "ended"; value: T } | { outcome: "aborted" } | { outcome: "timed_out" };

/**
 * The team as MCP tools: `ask_team` posts a message as the caller and follows the turn to its end;
 * `run_<workflow>` starts a run of each registered workflow and follows it. Both report what happens
 * as progress notifications and end with a tool result; a failure is a result with `isError`, never
 * a protocol error, so a client's model reads it.
 */
export class TeamTools {
  private readonly askInput: z.ZodType<{ message: string; conversationId?: string | undefined }>;
  private readonly starts: WorkflowStarts;

  constructor(private readonly deps: TeamToolsDeps) {
    this.starts = new WorkflowStarts(deps);
    this.askInput = z
      .object({
        message: messageText(deps.maxMessageChars).describe("What to ask the team, as a user would write it in the chat"),
        conversationId: ConversationId.optional().describe("A conversationId an earlier ask_team returned, to continue that conversation"),
      })
      .strict();
  }

  async list(): Promise<Tool[]> {
    const ask: Tool = {
      name: ASK_TOOL,
      title: "Ask the team",
      description:
        "Asks Switchboard's agent team (a manager that hands work to specialists) and waits for their answer. Returns the answer, the agents that worked on it and the conversation id to continue with.",
      inputSchema: jsonSchema(this.askInput, "input"),
      outputSchema: jsonSchema(AskResult, "output"),
    };
    const workflows = (await this.deps.workflows.list()).sort((a, b) => a.name.localeCompare(b.name));
    return [ask, ...workflows.filter((workflow) => this.listable(workflow)).map((workflow) => this.workflowTool(workflow))];
  }

  /** Runs the tool `name`; undefined when there is no such tool. */
  async call(name: string, args: unknown, caller: Caller, context: CallContext): Promise<CallToolResult | undefined> {
    try {
      if (name === ASK_TOOL) return await this.ask(args, caller, context);
      const workflow = name.startsWith("run_") ? (await this.deps.workflows.list()).find((w) => workflowToolName(w.name) === name) : undefined;
      if (!workflow || !this.listable(workflow)) return undefined;
      return await this.runWorkflow(workflow, args, caller, context);
    } catch (error) {
      return failure(clientFacing(error, this.deps.log, "MCP tool call failed").message);
    }
  }

  /** Stops the work a call follows: its turn, or its workflow run. Nothing left to stop is not an error. */
  async stop(target: CallTarget, user: string, reason: string): Promise<void> {
    try {
      if (target.kind === "turn") await this.deps.turns.stopIfRunning(target.conversationId, user, reason);
      else await this.deps.runs.cancel(target.runId, user);
    } catch (error) {
      this.deps.log.warn({ err: error, target }, "could not stop an MCP call's work");
    }
  }

  private async ask(args: unknown, caller: Caller, context: CallContext): Promise<CallToolResult> {
    const parsed = this.askInput.safeParse(args ?? {});
    if (!parsed.success) return failure(`Invalid arguments for ${ASK_TOOL}: ${z.prettifyError(parsed.error)}`);
    const { user } = caller.identity;
    const { address } = caller;
    const { message, conversationId: given } = parsed.data;
    let conversation = given === undefined ? undefined : await this.deps.conversations.get(user, given);
    if (given !== undefined && !conversation) return failure(`No conversation "${given}" of yours: leave conversationId out to start a new one.`);
    if (!conversation) {
      await this.deps.limits.consume("conversations", { user, address });
      conversation = await this.deps.conversations.create(user);
    }
    await this.deps.limits.consume("messages", { user, address });
    const eventId = await this.deps.intake.post({ owner: user, conversationId: conversation.id, title: conversation.title, directAgent: conversation.directAgent, text: message });
    const conversationId = conversation.id;
    const target: CallTarget = { kind: "turn", conversationId };
    const untrack = await this.deps.calls.track(user, context.requestId, target);
    try {
      const progress = new TurnProgress(`${conversationId}-${eventId}`);
      const followed = await this.follow(conversationId, eventId, context, (event) => {
        if (!progress.owns(event)) return undefined;
        const note = progressNote(event);
        if (note) context.progress(note);
        return progress.observe(event);
      });
      if (followed.outcome === "aborted") {
        await this.stop(target, user, "The MCP client cancelled the call.");
        return failure("Cancelled: the turn was stopped.");
      }
      if (followed.outcome === "timed_out") {
        await this.stop(target, user, "The MCP call timed out.");
        return failure(
          `The team did not finish within ${seconds(this.deps.callTimeoutMs)} s, so the turn was stopped. What it did is kept in conversation ${conversationId}; ask again with that conversationId to go on.`,
        );
      }
      return askResult(followed.value, conversationId);
    } finally {
      await untrack();
    }
  }

  private async runWorkflow(workflow: WorkflowSummary, args: unknown, caller: Caller, context: CallContext): Promise<CallToolResult> {
    const { user } = caller.identity;
    const { address } = caller;
    const name = workflowToolName(workflow.name);
    const parsed = this.starts.inputSchema(workflow).safeParse(args ?? {});
    if (!parsed.success) return failure(`Invalid arguments for ${name}: ${z.prettifyError(parsed.error)}`);
    const { runId, conversationId } = await this.starts.start({ workflow, input: parsed.data, owner: user, address });
    const target: CallTarget = { kind: "workflow", runId };
    const untrack = await this.deps.calls.track(user, context.requestId, target);
    try {
      // The conversation is the run's own: every event in it is this run's work.
      const followed = await this.follow(conversationId, "0", context, (event) => {
        const note = progressNote(event);
        if (note) context.progress(note);
        return (event.type === "workflow.completed" || event.type === "workflow.failed") && event.runId === runId ? event : undefined;
      });
      if (followed.outcome === "aborted") {
        await this.stop(target, user, "The MCP client cancelled the call.");
        return failure(`Cancelled: workflow run ${runId} was cancelled.`);
      }
      if (followed.outcome === "timed_out") {
        // A run may wait days for a person's approval: it goes on, and is followed elsewhere.
        return failure(
          `Workflow run ${runId} did not finish within ${seconds(this.deps.callTimeoutMs)} s. It goes on: follow it with GET /api/workflow-runs/${runId} or in the app (conversation ${conversationId}).`,
        );
      }
      const ended = followed.value;
      if (ended.type === "workflow.failed") return failure(`Workflow ${workflow.name} failed (${ended.data.code}): ${ended.data.reason}`);
      const result = { ...(ended.data.output === undefined ? {} : { output: ended.data.output }), ...(ended.data.stopped ? { stopped: ended.data.stopped } : {}), runId, conversationId };
      const text = ended.data.stopped
        ? `Stopped at ${ended.data.stopped.path}: ${ended.data.stopped.reason}`
        : typeof ended.data.output === "string"
          ? ended.data.output
          : JSON.stringify(ended.data.output ?? null, null, 2);
      return { content: [{ type: "text", text }], structuredContent: result };
    } finally {
      await untrack();
    }
  }

  /** MCP tools take an object of arguments: a workflow whose input is anything else is not offered. */
  private listable(workflow: WorkflowSummary): boolean {
    if (workflow.inputSchema.type === "object") return true;
    this.deps.log.warn({ workflow: workflow.name }, "a workflow whose input is not an object is not offered as an MCP tool");
    return false;
  }

  private workflowTool(workflow: WorkflowSummary): Tool {
    const { $schema: _dialect, ...inputSchema } = workflow.inputSchema;
    const { min, max } = workflow.budget.modelCalls;
    const calls = min === max ? `${max}` : `${min}–${max}`;
    const approvals = workflow.budget.approvals > 0 ? " It may wait for a person's approval." : "";
    return {
      name: workflowToolName(workflow.name),
      title: `Run the ${workflow.name} workflow`,
      description: `${workflow.description} (A Switchboard workflow: ${calls} model calls.${approvals})`,
      inputSchema: inputSchema as Tool["inputSchema"],
      outputSchema: jsonSchema(WorkflowResult, "output"),
    };
  }

  /** Follows the log (see followLog) until `onEvent` returns a value, the client gives up or the call's time is up. */
  private async follow<T>(conversationId: string, after: string, context: CallContext, onEvent: (event: Event) => T | undefined): Promise<Followed<T>> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.deps.callTimeoutMs);
    try {
      const value = await followLog(this.deps.tail, conversationId, after, AbortSignal.any([context.signal, deadline.signal]), onEvent);
      if (value !== undefined) return { outcome: "ended", value };
      return context.signal.aborted ? { outcome: "aborted" } : { outcome: "timed_out" };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The turn's result: its answer, or why there is none (stopped, or its last run failed). */
function askResult(outcome: TurnOutcome, conversationId: string): CallToolResult {
  if (outcome.state === "canceled") return failure(`The turn was stopped by ${outcome.by}: ${outcome.reason}`);
  if (outcome.state === "failed") return failure(`The team could not answer (${outcome.code}): ${outcome.reason}`);
  if (outcome.answer === undefined) return failure("The team ended the turn without an answer.");
  const result: AskResult = { answer: outcome.answer.data.text, agents: outcome.agents, conversationId };
  return { content: [{ type: "text", text: outcome.answer.data.text }], structuredContent: result };
}

/** A line for the client's progress display, for the events a person would want to see go by. */
function progressNote(event: Event): string | undefined {
  switch (event.type) {
    case "run.started":
      return event.agent ? `${event.agent} is working` : undefined;
    case "handoff":
      return event.data.mode === "transfer" ? `${event.data.from} handed off to ${event.data.to}` : `${event.data.from} delegated to ${event.data.to}`;
    case "tool.call":
      return event.agent ? `${event.agent} calls ${event.data.tool}` : `calling ${event.data.tool}`;
    case "run.slow":
      return event.data.message;
    case "run.failed":
      return event.agent ? `${event.agent} failed: ${event.data.reason}` : undefined;
    case "approval.requested":
      return `waiting for a person to decide: ${event.data.title}`;
    case "approval.resolved":
      return `${event.data.by} decided: ${event.data.decision}`;
    case "workflow.step":
      return event.data.status === "started" ? `step ${event.data.path} started` : `step ${event.data.path} ${event.data.status}`;
    default:
      return undefined;
  }
}

const seconds = (ms: number) => Math.round(ms / 1000);
