import type OpenAI from "openai";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import type { ConversationLog } from "../platform/conversation-log.js";
import type { DeltaPublisher } from "../platform/delta-bus.js";
import type { Logger } from "../platform/logger.js";
import { stopsTurn, type StopMarker } from "../platform/turn-stops.js";
import { observeModelStep, observeRunEvent } from "../platform/metrics.js";
import type { ChildJob } from "../platform/queues.js";
import { recordStep } from "../platform/run-steps.js";
import type { RecordedStep } from "../shared/run-steps.js";
import { withSpan } from "../platform/tracing.js";
import type { NextStep, RunPorts, Runnable } from "../runtime/next-step.js";
import type { Config } from "../shared/config.js";
import type { Event, EventType, NewEvent, StepRecord } from "../shared/events.js";
import { ChildResult, TurnJob, WORKFLOWS_QUEUE, WorkflowResult } from "../shared/jobs.js";
import type { A2aAgents } from "./a2a/a2a-agents.js";
import type { AgentDirectory } from "./agent-directory.js";
import type { AgentDefinition } from "./define-agent.js";
import { checkArguments, type AnyTool } from "./define-tool.js";
import { RunFailure } from "./errors.js";
import {
  DELEGATE_TOOL,
  TRANSFER_TOOL,
  childJob,
  handoffCandidates,
  handoffToolSchemas,
  parseHandoff,
  refuseHandoff,
} from "./handoff.js";
import { streamModelTurn } from "./model/model-client.js";
import { costOf } from "./model/pricing.js";
import { estimateTokens } from "./model/token-estimate.js";
import { compareStreamIds } from "../shared/stream-id.js";
import { RUN_STATE_VERSION, type RunState, type RunStore } from "./run-state.js";

/** How much of a failed attempt's streamed text its `run.retrying` event keeps. */
const REPLACED_TEXT_CHARS = 4000;
/** Pause before a model step is tried again, times the attempt: a cut stream often means a busy server. */
const RETRY_BACKOFF_MS = 250;
/** How many earlier messages of the conversation a run is given as context. */
const HISTORY_MESSAGES = 20;
const HISTORY_TYPES: ReadonlySet<EventType> = new Set(["message.user", "message.agent"]);

export interface AgentLoopDeps {
  directory: AgentDirectory;
  conversationLog: ConversationLog;
  runs: RunStore;
  deltas: DeltaPublisher;
  model: OpenAI;
  config: Config;
  log: Logger;
  /** The conversations' stop markers: read when a run starts or resumes, and heard live while it runs. */
  stops: TurnStopsPort;
  /** How runs of remote (A2A) agents reach them. */
  a2a: Pick<A2aAgents, "answer" | "cancel">;
}

/** How a run learns that a person stopped its turn. */
export interface TurnStopsPort {
  read(conversationId: string): Promise<StopMarker | undefined>;
  /** Calls `onStop` for each stop announced from now on; resolves with the function that ends the watch. */
  watch(conversationId: string, onStop: (marker: StopMarker) => void): Promise<() => void>;
}

/** The turn was stopped while this run was on it: `partialText` is what the model had streamed of the step cut off. */
class TurnStopped extends Error {
  constructor(readonly partialText = "") {
    super("the turn was stopped");
  }
}

type PendingCall = RunState["pendingToolCalls"][number];
type Next = NextStep<ChildResult>;
type ToolOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/**
 * The agent loop: model call (streamed) → tool calls → results back to the model → … until an
 * answer, a handoff, or a guard stops it. It decides and its host acts: when the run must wait
 * (for delegated runs, a workflow, or a person's approval) or hands the conversation on, the loop
 * returns that as its next step. Every finished step is checkpointed before the next, and every
 * event carries a key derived from run and step, so a job run again after a crash resumes where it
 * stopped and logs nothing twice.
 */
export class AgentLoop implements Runnable<ChildResult> {
  /** Model steps finished and not checkpointed yet: each goes out with the run's next write. */
  private readonly unsaved = new WeakMap<RunState, RecordedStep>();

  constructor(private readonly deps: AgentLoopDeps) {}

  async advance(data: unknown, ports: RunPorts): Promise<Next> {
    const job = TurnJob.parse(data);
    await this.deps.directory.refresh();
    const agent = this.deps.directory.get(job.agent);
    // A user's turn (not a workflow's agent step) can be stopped: the durable marker comes with
    // the run's opening read, and a stop announced while this attempt runs aborts it at once.
    const turn = job.triggerEventId;
    const stop = new AbortController();
    let stoppedBy: StopMarker | undefined;
    const [opened, unwatch] = await Promise.all([
      this.open(job, agent),
      turn === undefined ? undefined : this.watchStops(job.conversationId, turn, (announced) => {
        stoppedBy = announced;
        stop.abort();
      }),
    ]);
    try {
      return await this.advanceRun(job, agent, opened, ports, stop.signal, () => stoppedBy);
    } finally {
      unwatch?.();
    }
  }

  /**
   * The run as this attempt finds it, in one round trip: its checkpoint and the stop marker, or
   * for a new run its `run.started` logged (once) and the history its first step is given. A run
   * whose turn is stopped before it began starts nothing.
   */
  private async open(job: TurnJob, agent: AgentDefinition | undefined): Promise<{ state?: RunState; marker?: StopMarker }> {
    const initial = this.initialState(job, agent);
    const started: NewEvent = {
      type: "run.started",
      data: { task: job.task, model: initial.model, depth: job.depth, mode: job.mode, parentRunId: job.parentRunId },
      agent: job.agent,
      runId: job.runId,
    };
    const withHistory = agent !== undefined && job.mode !== "delegate" && job.mode !== "workflow";
    // A retried or edited message's context ends where the message it replaces began.
    const before = job.replaces ?? job.triggerEventId;
    const history = { count: withHistory ? HISTORY_MESSAGES * 3 : 0, types: HISTORY_TYPES, ...(before === undefined ? {} : { before }) };
    const opened = await this.deps.runs.open(job, { event: started, key: `${job.runId}:started` }, history);
    const marker = opened.marker ? { marker: opened.marker } : {};
    if (opened.state) return { state: opened.state, ...marker };
    if (!opened.first) return marker;
    if (opened.first.created) observeRunEvent(job, "run.started");
    // Not checkpointed yet: a retry before the first step rebuilds the same messages (the history
    // before the triggering message does not change) and finds run.started already logged.
    initial.messages = agent ? this.initialMessages(job, agent, opened.history) : [];
    return { state: initial, ...marker };
  }

  /** Watches for stops of the turn; a watch that cannot be set up leaves the durable marker to stop the run. */
  private async watchStops(conversationId: string, turn: string, onStop: (marker: StopMarker) => void): Promise<(() => void) | undefined> {
    try {
      return await this.deps.stops.watch(conversationId, (marker) => {
        if (stopsTurn(marker, turn)) onStop(marker);
      });
    } catch (error) {
      this.deps.log.warn({ err: error, conversationId }, "could not watch for stops; the run checks the stop marker before its answer");
      return undefined;
    }
  }

  private async advanceRun(
    job: TurnJob,
    agent: AgentDefinition | undefined,
    { state, marker }: { state?: RunState; marker?: StopMarker },
    ports: RunPorts,
    signal: AbortSignal,
    stoppedBy: () => StopMarker | undefined,
  ): Promise<Next> {
    if (state && state.status !== "running" && state.status !== "waiting") return finished(state);
    // A run whose answer is decided finishes it: the answer is logged unless the stop came first.
    if (stopsTurn(marker, job.triggerEventId) && state?.result === undefined) {
      // An earlier attempt, whose process is gone, may have left a remote agent working on the run's task.
      if (state?.remoteTaskId !== undefined && agent?.remote) {
        await this.deps.a2a.cancel(agent.remote, state.remoteTaskId, this.deps.log.child({ agent: job.agent, runId: job.runId }));
      }
      return this.cancel(state ?? this.initialState(job, agent), marker);
    }
    if (!state) throw new Error(`run ${job.runId} opened with neither a checkpoint nor a start`);
    try {
      if (!agent) throw new RunFailure("agent_unavailable", `The agent "${job.agent}" is no longer in the team, or is disabled.`);
      return await this.run(state, agent, ports, signal);
    } catch (error) {
      const stopped = stoppedBy();
      if (stopped && (error instanceof TurnStopped || signal.aborted)) return this.cancel(state, stopped, error instanceof TurnStopped ? error.partialText : "");
      if (error instanceof RunFailure) return this.fail(state, error);
      if (ports.attemptsLeft <= 0) {
        // The person reading the run gets a reason; the error itself goes to the log.
        this.deps.log.error({ err: error, runId: state.job.runId }, "run stopped on an internal error");
        return this.fail(state, new RunFailure("internal", "The run stopped on an internal error after retries; the agents log has the details.", { cause: error }));
      }
      throw error;
    }
  }

  private initialState(job: TurnJob, agent: AgentDefinition | undefined): RunState {
    return {
      v: RUN_STATE_VERSION,
      job,
      // A remote agent calls no model of ours: its runs show where their answers come from.
      model: agent?.remote ? `a2a ${agent.remote.card}` : (agent?.model ?? this.deps.config.model.defaultModel),
      ...(agent?.temperature !== undefined ? { temperature: agent.temperature } : {}),
      ...(agent?.maxTokens !== undefined ? { maxTokens: agent.maxTokens } : {}),
      startedAt: Date.now(),
      status: "running",
      messages: [],
      steps: [],
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      childModelCalls: 0,
      childCostUsd: 0,
      pendingToolCalls: [],
    };
  }

  /** What a new run's first model step is sent: the agent's instructions, the conversation before its turn (`earlier`), its task. */
  private initialMessages(job: TurnJob, agent: AgentDefinition, earlier: Event[]): ChatCompletionMessageParam[] {
    const system: ChatCompletionMessageParam = { role: "system", content: agent.instructions };
    if (job.mode === "delegate" || job.mode === "workflow") return [system, { role: "user", content: job.task }];
    const history: { id: string; message: ChatCompletionMessageParam }[] = [];
    for (const event of earlier) {
      if (event.type === "message.user") {
        // An earlier retry or edit: what it replaced (from that message on) is not part of the conversation.
        const replaced = event.data.replaces;
        if (replaced !== undefined) {
          const kept = history.findIndex((entry) => compareStreamIds(entry.id, replaced) >= 0);
          if (kept >= 0) history.length = kept;
        }
        history.push({ id: event.id, message: { role: "user", content: event.data.text } });
      }
      if (event.type === "message.agent") history.push({ id: event.id, message: { role: "assistant", content: event.data.text } });
    }
    return [system, ...history.slice(-HISTORY_MESSAGES).map((entry) => entry.message), { role: "user", content: job.task }];
  }

  private async run(state: RunState, agent: AgentDefinition, ports: RunPorts, signal: AbortSignal): Promise<Next> {
    for (;;) {
      if (state.result !== undefined) return this.complete(state, "answered");
      if (signal.aborted) throw new TurnStopped();
      if (state.waiting) {
        const collected = await this.collect(state, ports);
        if (collected) return collected;
        continue;
      }
      if (state.pendingToolCalls.length > 0) {
        const next = await this.runToolCall(state, agent, ports);
        if (next) return next;
        continue;
      }
      // A step's checkpoint goes out with the write that follows it; there is always one before the next step.
      if (this.unsaved.has(state)) await this.checkpoint(state);
      if (agent.remote) await this.remoteStep(state, agent.remote, signal);
      else await this.modelStep(state, agent, signal);
    }
  }

  /**
   * A remote agent's whole run: the task (and, for a turn or a transfer, the conversation before it)
   * goes to the remote A2A agent, whose reply is the answer. The remote's task id is checkpointed
   * as soon as it is known, so an attempt after a crash asks about that task instead of sending
   * the message again; the message id derives from the run, so a remote can tell a resend anyway.
   */
  private async remoteStep(state: RunState, remote: NonNullable<AgentDefinition["remote"]>, signal: AbortSignal): Promise<void> {
    const { conversationId, runId, agent, task } = state.job;
    const context = state.messages
      .slice(1, -1)
      .map((message) => `${message.role}: ${typeof message.content === "string" ? message.content : ""}`)
      .join("\n");
    try {
      state.result = await this.deps.a2a.answer(remote, {
        agent,
        runId,
        contextId: conversationId,
        task,
        context,
        taskId: state.remoteTaskId,
        signal,
        onTask: async (taskId) => {
          state.remoteTaskId = taskId;
          await this.checkpoint(state);
        },
        onText: (text) => this.deps.deltas.publish({ conversationId, runId, agent, text }),
      });
    } catch (error) {
      if (signal.aborted) throw new TurnStopped();
      throw error;
    }
  }

  private async modelStep(state: RunState, agent: AgentDefinition, signal: AbortSignal): Promise<void> {
    const { maxSteps, tokenBudget } = this.deps.config.limits;
    if (state.steps.length >= maxSteps) {
      throw new RunFailure(
        "step_limit",
        `Stopped after ${state.steps.length} model steps without a final answer (SWITCHBOARD_MAX_STEPS=${maxSteps}).`,
      );
    }
    const tools = this.toolSchemas(agent, state.job);
    const nextPrompt = estimateTokens(state.messages) + estimateTokens(tools);
    if (state.usage.totalTokens + nextPrompt > tokenBudget) {
      throw new RunFailure(
        "token_budget",
        `Stopped before the next model call: it would need about ${nextPrompt} tokens and this run has used ${state.usage.totalTokens} of its ${tokenBudget}-token budget (SWITCHBOARD_TOKEN_BUDGET).`,
      );
    }
    const began = performance.now();
    // One span per model call (GenAI semantic conventions), a child of the run's span.
    const turn = await withSpan(
      `chat ${state.model}`,
      {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": state.model,
        "switchboard.agent": agent.name,
        "switchboard.run.id": state.job.runId,
        "switchboard.step": state.steps.length,
      },
      async (span) => {
        const answered = await this.streamWithRetries(state, agent, tools, signal);
        span.setAttributes({
          "gen_ai.usage.input_tokens": answered.usage.promptTokens,
          "gen_ai.usage.output_tokens": answered.usage.completionTokens,
          "switchboard.tool_calls": answered.toolCalls.length,
        });
        return answered;
      },
    );
    const step: StepRecord = {
      step: state.steps.length,
      latencyMs: Math.round(turn.latencyMs * 100) / 100,
      usage: turn.usage,
      costUsd: costOf(state.model, turn.usage),
      tools: turn.toolCalls.map((call) => call.function.name),
    };
    observeModelStep(agent.name, state.model, { ...step, latencyMs: performance.now() - began });
    // Recorded before the answer joins the messages: exactly what this step was sent.
    const recorded = recordStep({
      step: step.step,
      model: state.model,
      latencyMs: step.latencyMs,
      messages: state.messages,
      tools: tools.flatMap((tool) => (tool.type === "function" ? [tool.function.name] : [])),
      answer: {
        text: turn.content,
        toolCalls: turn.toolCalls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })),
        finishReason: turn.finishReason,
        usage: turn.usage,
      },
    });
    state.steps.push(step);
    state.usage = {
      promptTokens: state.usage.promptTokens + turn.usage.promptTokens,
      completionTokens: state.usage.completionTokens + turn.usage.completionTokens,
      totalTokens: state.usage.totalTokens + turn.usage.totalTokens,
    };
    state.messages.push(
      turn.toolCalls.length > 0
        ? { role: "assistant", content: turn.content || null, tool_calls: turn.toolCalls }
        : { role: "assistant", content: turn.content },
    );
    state.pendingToolCalls = turn.toolCalls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }));
    if (turn.toolCalls.length === 0) state.result = turn.content;
    // Checkpointed with what the step leads to (its text, its first tool call, its answer), in the
    // same round trip: nothing outside happens before that write, and a crash first redoes the step.
    this.unsaved.set(state, recorded);
    if (turn.toolCalls.length > 0 && turn.content.trim() !== "") await this.emit(state, `s${step.step}:text`, { type: "message.agent", data: { text: turn.content } });
  }

  /**
   * One model step. A stream cut or stalled mid-answer is tried again (SWITCHBOARD_MODEL_STEP_RETRIES
   * times); a `run.retrying` event says so and keeps what the failed attempt had streamed, and the
   * next attempt's deltas carry its number, so a client replaces the partial text rather than
   * appending to it. A first token later than SWITCHBOARD_MODEL_SLOW_MS is logged as `run.slow`.
   */
  private async streamWithRetries(state: RunState, agent: AgentDefinition, tools: ChatCompletionTool[], signal: AbortSignal) {
    const { conversationId, runId } = state.job;
    const stepIndex = state.steps.length;
    const maxAttempts = this.deps.config.model.stepRetries + 1;
    for (let attempt = 1; ; attempt++) {
      let streamed = "";
      const onSlow = (waitedMs: number) => {
        const message = `The model has not started answering after ${seconds(waitedMs)} s; still waiting (up to ${seconds(this.deps.config.model.firstTokenMs)} s).`;
        this.emit(state, `s${stepIndex}:a${attempt}:slow`, { type: "run.slow", data: { step: stepIndex, waitedMs, message } }).catch((error: unknown) =>
          this.deps.log.warn({ err: error, runId }, "could not log that the model is slow"),
        );
      };
      try {
        return await streamModelTurn(
          this.deps.model,
          { model: state.model, messages: state.messages, tools, temperature: state.temperature, maxTokens: state.maxTokens },
          (text) => {
            streamed += text;
            this.deps.deltas.publish({ conversationId, runId, agent: agent.name, text, ...(attempt > 1 ? { attempt } : {}) });
          },
          { onSlow, signal },
        );
      } catch (error) {
        if (signal.aborted) throw new TurnStopped(streamed.slice(0, REPLACED_TEXT_CHARS));
        if (!(error instanceof RunFailure) || !error.transient) throw error;
        if (attempt >= maxAttempts) {
          if (attempt === 1) throw error;
          throw new RunFailure(error.code, `${error.message} (${attempt} attempts)`, { cause: error, ...(error.detail ? { detail: error.detail } : {}) });
        }
        await this.emit(state, `s${stepIndex}:retry${attempt + 1}`, {
          type: "run.retrying",
          data: { step: stepIndex, attempt: attempt + 1, maxAttempts, reason: error.message, replacedText: streamed.slice(0, REPLACED_TEXT_CHARS) },
        });
        await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS * attempt));
      }
    }
  }

  private toolSchemas(agent: AgentDefinition, job: TurnJob): ChatCompletionTool[] {
    const own = agent.tools.map((tool): ChatCompletionTool => ({
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: tool.jsonSchema },
    }));
    const handoffs = handoffToolSchemas(handoffCandidates(agent, this.deps.directory, job.task));
    // A workflow's agent step answers the workflow, not the user: it may delegate, not transfer.
    return [...own, ...(job.mode === "workflow" ? handoffs.filter((tool) => !(tool.type === "function" && tool.function.name === TRANSFER_TOOL)) : handoffs)];
  }

  /** Runs the first pending call. Returns a next step when the run must wait or has handed off. */
  private async runToolCall(state: RunState, agent: AgentDefinition, ports: RunPorts): Promise<Next | undefined> {
    const call = state.pendingToolCalls[0] as PendingCall;
    if (call.name === TRANSFER_TOOL || call.name === DELEGATE_TOOL) return this.handoff(state, agent, call);
    const tool = agent.tools.find((candidate) => candidate.name === call.name);
    const args = parseArguments(call.arguments);
    await this.emit(state, `${call.id}:call`, { type: "tool.call", data: { toolCallId: call.id, tool: call.name, args } });
    if (!tool) {
      const known = agent.tools.map((t) => t.name).join(", ") || "none";
      await this.recordToolOutcome(state, call, { ok: false, error: `There is no tool named "${call.name}"; use one of: ${known}.` }, 0);
      return undefined;
    }
    const parsed = checkArguments(tool, args);
    if (!parsed.ok) {
      await this.recordToolOutcome(state, call, { ok: false, error: `Invalid arguments for ${tool.name}: ${parsed.error}` }, 0);
      return undefined;
    }
    if (tool.needsApproval) {
      const approvalId = `${state.job.runId}.${call.id}`;
      const decision = await ports.decision(approvalId);
      if (!decision) return this.askApproval(state, tool, approvalId, parsed.value);
      if (decision.decision === "reject") {
        const why = decision.comment ? `: ${decision.comment}` : "";
        await this.recordToolOutcome(state, call, { ok: false, error: `${decision.by} rejected this call of ${tool.name}${why}. Do not retry it; tell the user.` }, 0);
        return undefined;
      }
    }
    if (tool.workflow) return this.startWorkflow(state, call, tool.workflow, parsed.value);
    const started = performance.now();
    const outcome = await this.invoke(tool, parsed.value, state, call);
    await this.recordToolOutcome(state, call, outcome, performance.now() - started);
    return undefined;
  }

  /** A tool's failure is returned to the model as an observation. */
  private async invoke(tool: AnyTool, args: unknown, state: RunState, call: PendingCall): Promise<ToolOutcome> {
    try {
      const { conversationId, runId, agent } = state.job;
      const log = this.deps.log.child({ tool: tool.name, runId });
      const result = await tool.execute(args as never, { conversationId, runId, agent, idempotencyKey: `${runId}:${call.id}`, log });
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private async askApproval(state: RunState, tool: AnyTool, approvalId: string, args: unknown): Promise<Next> {
    state.status = "waiting";
    await this.checkpoint(state);
    return {
      kind: "wait-approval",
      agent: state.job.agent,
      approval: {
        id: approvalId,
        conversationId: state.job.conversationId,
        // The host fills in the owner from the conversation when the run does not know it.
        owner: "",
        runId: state.job.runId,
        kind: "tool",
        title: `${state.job.agent} wants to use ${tool.name}`,
        data: args,
        tool: tool.name,
        requestedAt: new Date().toISOString(),
        onTimeout: "reject",
      },
    };
  }

  private async recordToolOutcome(state: RunState, call: PendingCall, outcome: ToolOutcome, latencyMs: number): Promise<void> {
    const data = {
      toolCallId: call.id,
      tool: call.name,
      latencyMs: Math.round(latencyMs * 100) / 100,
      ...(outcome.ok ? { ok: true, result: outcome.result } : { ok: false, error: outcome.error }),
    };
    state.messages.push({
      role: "tool",
      tool_call_id: call.id,
      content: JSON.stringify(outcome.ok ? outcome.result : { ok: false, error: outcome.error }),
    });
    state.pendingToolCalls.shift();
    state.status = "running";
    await this.log(state, [[`${call.id}:result`, { type: "tool.result", data }]], { checkpoint: true });
  }

  private async handoff(state: RunState, agent: AgentDefinition, call: PendingCall): Promise<Next | undefined> {
    const candidates = handoffCandidates(agent, this.deps.directory, state.job.task);
    const request = parseHandoff(call.name, call.arguments, candidates, state.job.task);
    const refusal = request.ok
      ? request.targets.map((target) => refuseHandoff(state.job, target.agent, this.deps.config.limits.maxHandoffDepth)).find(Boolean)
      : request.error;
    if (refusal !== undefined || !request.ok) {
      await this.recordToolOutcome(state, call, { ok: false, error: refusal ?? "handoff refused" }, 0);
      return undefined;
    }
    if (request.mode === "transfer") {
      if (state.job.mode === "workflow") {
        await this.recordToolOutcome(state, call, { ok: false, error: "transfer is not available here: answer the task yourself" }, 0);
        return undefined;
      }
      return this.transfer(state, agent, call, request.targets[0] as (typeof request.targets)[number]);
    }
    return this.delegate(state, agent, call, request.targets);
  }

  private async transfer(state: RunState, agent: AgentDefinition, call: PendingCall, target: { agent: string; reason: string; task: string }): Promise<Next> {
    const child = childJob(state.job, target, "transfer", `${state.job.runId}-t${state.steps.length}`);
    const handoff: NewEvent = {
      type: "handoff",
      data: { from: agent.name, to: target.agent, mode: "transfer", reason: target.reason, task: target.task, childRunId: child.runId, depth: child.depth },
    };
    state.pendingToolCalls = [];
    state.handOff = child;
    state.result = `Transferred to ${target.agent}: ${target.reason}`;
    return this.complete(state, "transferred", [`${call.id}:handoff`, handoff]);
  }

  private async delegate(state: RunState, agent: AgentDefinition, call: PendingCall, targets: { agent: string; reason: string; task: string }[]): Promise<Next> {
    const children = targets.map((target, index) => childJob(state.job, target, "delegate", `${state.job.runId}-d${state.steps.length}-${index}`));
    const handoffs = children.map((child, index): [string, NewEvent] => [
      `${call.id}:handoff:${index}`,
      {
        type: "handoff",
        data: { from: agent.name, to: child.agent, mode: "delegate", reason: targets[index]?.reason ?? "", task: child.task, childRunId: child.runId, depth: child.depth },
      },
    ]);
    state.waiting = {
      toolCallId: call.id,
      tool: call.name,
      kind: "delegate",
      children: children.map((child) => ({ id: child.runId, queue: child.agent, name: child.agent, task: child.task, data: child })),
    };
    return this.wait(state, handoffs);
  }

  private async startWorkflow(state: RunState, call: PendingCall, workflow: string, input: unknown): Promise<Next> {
    const { conversationId, runId } = state.job;
    const childRunId = `${runId}-w${state.steps.length}`;
    state.waiting = {
      toolCallId: call.id,
      tool: call.name,
      kind: "workflow",
      children: [
        {
          id: childRunId,
          queue: WORKFLOWS_QUEUE,
          name: workflow,
          task: JSON.stringify(input),
          data: { v: 1, kind: "run", runId: childRunId, conversationId, workflow, input, parentRunId: runId },
        },
      ],
    };
    return this.wait(state);
  }

  /** Saved (with `events`, the handoffs) before the children are added: a retry after a crash at any point adds them again, once. */
  private async wait(state: RunState, events: [key: string, event: NewEvent][] = []): Promise<Next> {
    state.pendingToolCalls.shift();
    state.status = "waiting";
    await this.log(state, events, { checkpoint: true });
    return { kind: "wait-children", children: this.childJobs(state) };
  }

  private childJobs(state: RunState): ChildJob[] {
    const waiting = state.waiting;
    if (!waiting) return [];
    return waiting.children.map((child) => ({ queue: child.queue, id: child.id, name: waiting.kind === "delegate" ? "delegate" : child.name, data: child.data }));
  }

  /**
   * Once every child has finished, hands their results to the model as the waiting call's result;
   * until then, asks the host to (re-)add them and wait. A child whose job failed for good is
   * reported as failed.
   */
  private async collect(state: RunState, ports: RunPorts): Promise<Next | undefined> {
    const waiting = state.waiting;
    if (!waiting) return undefined;
    const outcomes = await ports.childResults();
    if (waiting.children.some((child) => !outcomes.has(child.id))) return { kind: "wait-children", children: this.childJobs(state) };
    const results = waiting.children.map((child) => {
      const outcome = outcomes.get(child.id);
      if (waiting.kind === "workflow") {
        const parsed = outcome?.ok ? WorkflowResult.safeParse(outcome.value) : undefined;
        const result = parsed?.success ? parsed.data : undefined;
        if (result) {
          state.childModelCalls += result.modelCalls;
          state.childCostUsd += result.costUsd;
        }
        if (result?.status === "completed") return { workflow: child.name, status: "completed" as const, output: result.output };
        return { workflow: child.name, status: "failed" as const, reason: result?.status === "failed" ? result.reason : `the workflow ${child.name} could not finish` };
      }
      const parsed = outcome?.ok ? ChildResult.safeParse(outcome.value) : undefined;
      const done = parsed?.success ? parsed.data : undefined;
      if (done) {
        state.childModelCalls += done.modelCalls;
        state.childCostUsd += done.costUsd;
        return { agent: child.name, task: child.task, status: done.status, result: done.result };
      }
      return { agent: child.name, task: child.task, status: "failed" as const, result: `${child.name} could not finish this task (its job failed).` };
    });
    const content = waiting.kind === "workflow" ? JSON.stringify(results[0]) : JSON.stringify(results);
    state.messages.push({ role: "tool", tool_call_id: waiting.toolCallId, content });
    state.waiting = undefined;
    state.status = "running";
    if (waiting.kind === "workflow") {
      const data = { toolCallId: waiting.toolCallId, tool: waiting.tool, ok: results[0]?.status === "completed", result: results[0], latencyMs: 0 };
      await this.log(state, [[`${waiting.toolCallId}:result`, { type: "tool.result", data }]], { checkpoint: true });
    } else await this.checkpoint(state);
    return undefined;
  }

  /**
   * Ends the run with its answer (or `handoff`, the transfer that ends it), `run.completed`, the
   * result handed back to a parent, and its last checkpoint, in one atomic step. An answer is
   * logged only if no stop of its turn came first (even one this run did not hear); a stop after
   * it finds the turn answered.
   */
  private async complete(state: RunState, outcome: "answered" | "transferred", handoff?: [key: string, event: NewEvent]): Promise<Next> {
    const result = state.result ?? "";
    const { conversationId, triggerEventId } = state.job;
    const ending: [string, NewEvent] | undefined = outcome === "answered" ? ["answer", { type: "message.agent", data: { text: result } }] : handoff;
    state.status = "completed";
    const completed: [string, NewEvent] = ["completed", { type: "run.completed", data: { outcome, ...totals(state) } }];
    const returned = this.returned(state, "completed", result);
    const events = [...(ending ? [ending] : []), completed, ...(returned ? [returned] : [])];
    const stopped = await this.log(state, events, { checkpoint: true, ...(outcome === "answered" && triggerEventId !== undefined ? { unlessStopped: triggerEventId } : {}) });
    if (stopped) {
      state.status = "running";
      const marker = await this.deps.stops.read(conversationId);
      return this.cancel(state, marker ?? { through: triggerEventId ?? "0", by: stopped.stoppedBy, reason: "stopped", at: new Date().toISOString() });
    }
    return finished(state);
  }

  /**
   * Ends the run because a person stopped its turn: `run.cancelled` (once, keyed like every event)
   * instead of an answer, and no result handed back as if it were one. Its delegated runs stop
   * on their own (they share the turn); a parent waiting for this one resumes and stops too.
   */
  private async cancel(state: RunState, marker: StopMarker, partialText = ""): Promise<Next> {
    this.deps.log.info({ runId: state.job.runId, by: marker.by }, "run stopped");
    const cancelled: NewEvent = {
      type: "run.cancelled",
      data: { by: marker.by, reason: marker.reason, ...(partialText.trim() ? { partialText } : {}), ...totals(state) },
    };
    state.status = "cancelled";
    state.result = `Stopped by ${marker.by}.`;
    state.pendingToolCalls = [];
    state.waiting = undefined;
    state.handOff = undefined;
    await this.end(state, ["cancelled", cancelled]);
    return finished(state);
  }

  private async fail(state: RunState, failure: RunFailure): Promise<Next> {
    this.deps.log.warn({ runId: state.job.runId, code: failure.code, reason: failure.message }, "run failed");
    const failed: NewEvent = { type: "run.failed", data: { code: failure.code, reason: failure.message, ...totals(state) } };
    state.status = "failed";
    state.result = failure.message;
    await this.end(state, ["failed", failed], this.returned(state, "failed", failure.message));
    return finished(state);
  }

  /** A delegated run tells the log it has handed its result back, as soon as it has one. */
  private returned(state: RunState, status: "completed" | "failed", result: string): [key: string, event: NewEvent] | undefined {
    const { job } = state;
    const parent = job.chain.at(-2);
    if (job.mode !== "delegate" || parent === undefined) return undefined;
    return ["return", { type: "handoff.return", data: { from: job.agent, to: parent, childRunId: job.runId, status, result } }];
  }

  /** Logs the run's last events with its final checkpoint, in one atomic step. */
  private async end(state: RunState, ended: [key: string, event: NewEvent], returned?: [key: string, event: NewEvent]): Promise<void> {
    await this.log(state, returned ? [ended, returned] : [ended], { checkpoint: true });
  }

  /** Writes the run's checkpoint (with the model step recorded since the last one, if any). */
  private async checkpoint(state: RunState): Promise<void> {
    await this.log(state, [], { checkpoint: true });
  }

  /** Appends one event, as `log` does. */
  private async emit(state: RunState, key: string, event: NewEvent): Promise<void> {
    await this.log(state, [[key, event]]);
  }

  /**
   * Appends events whose keys are unique within the run, so a retried step logs none twice, in one
   * atomic step and round trip. The run's checkpoint (as `state` is now) goes with them when asked
   * for and whenever a model step finished since the last one (it is recorded too): a retry finds
   * the events and the state that follows them, or neither. The events that end a run drop its
   * streamed text in the same step. With `unlessStopped` (the run's turn), nothing is written if a
   * stop of the turn came first: returns who stopped it.
   */
  private async log(
    state: RunState,
    events: [key: string, event: NewEvent][],
    options: { checkpoint?: boolean; unlessStopped?: string } = {},
  ): Promise<{ stoppedBy: string } | undefined> {
    const { conversationId, runId, agent } = state.job;
    const keyed = events.map(([key, event]) => ({ event: { ...event, agent, runId } as NewEvent, key: `${runId}:${key}` }));
    const ends = events.some(([, event]) => event.type === "run.completed" || event.type === "run.failed" || event.type === "run.cancelled");
    // Nothing of an ended run's streamed text is kept, in the same step.
    const writes = ends ? this.deps.deltas.endWrites(conversationId, runId) : [];
    const unsaved = this.unsaved.get(state);
    const unlessStopped = options.unlessStopped === undefined ? {} : { unlessStopped: options.unlessStopped };
    const saved =
      options.checkpoint || unsaved
        ? await this.deps.runs.save(state, { ...(unsaved ? { step: unsaved } : {}), events: keyed, writes, ...unlessStopped })
        : await this.deps.conversationLog.appendWriting(conversationId, keyed, writes, options.unlessStopped);
    if ("stoppedBy" in saved) return saved;
    // Only the step this write carried is saved: a slow-model notice's write, begun while its step
    // streamed, may end after the step was recorded, and leaves that step for the next write.
    if (unsaved && this.unsaved.get(state) === unsaved) this.unsaved.delete(state);
    for (const [index, appended] of saved.appended.entries()) {
      const type = events[index]?.[1].type;
      // Counted when first written: the same event again (a retried step) is not a second run.
      if (appended.created && type) observeRunEvent(state.job, type);
      // The text kept for clients joining mid-answer: what this event now holds (or withdraws) goes.
      if (!ends && (type === "message.agent" || type === "run.retrying")) await this.deps.deltas.logged(conversationId, runId, agent, appended.event.id);
    }
    return undefined;
  }
}

/** 10000 → "10", 300 → "0.3". */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

function parseArguments(raw: string): unknown {
  try {
    return JSON.parse(raw || "{}");
  } catch {
    return raw;
  }
}

function totals(state: RunState) {
  return {
    usage: state.usage,
    latencyMs: Date.now() - state.startedAt,
    costUsd: state.steps.reduce((sum, step) => sum + step.costUsd, 0),
    steps: state.steps,
  };
}

function finished(state: RunState): Next {
  const result: ChildResult = {
    runId: state.job.runId,
    agent: state.job.agent,
    // A stopped run hands back no answer: its parent stops too, and must not read one.
    status: state.status === "completed" ? "completed" : "failed",
    result: state.result ?? "",
    modelCalls: state.steps.length + state.childModelCalls,
    usage: state.usage,
    costUsd: state.steps.reduce((sum, step) => sum + step.costUsd, 0) + state.childCostUsd,
  };
  return { kind: "finish", result, ...(state.handOff ? { handOff: [state.handOff] } : {}) };
}
