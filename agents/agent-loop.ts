import { WaitingChildrenError, type Job } from "bullmq";
import type OpenAI from "openai";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { z } from "zod";
import type { ConversationLog } from "../platform/conversation-log.js";
import type { DeltaPublisher } from "../platform/delta-bus.js";
import type { Logger } from "../platform/logger.js";
import type { Config } from "../shared/config.js";
import type { EventType, NewEvent, StepRecord } from "../shared/events.js";
import type { AgentDirectory } from "./agent-directory.js";
import type { AgentQueues } from "./agent-queues.js";
import type { AgentDefinition } from "./define-agent.js";
import type { AnyTool } from "./define-tool.js";
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
import { estimateTokens, streamModelTurn } from "./model/model-client.js";
import { costOf } from "./model/pricing.js";
import { ChildResult, RUN_STATE_VERSION, TurnJob, type RunState, type RunStore } from "./run-state.js";

/** How many earlier messages of the conversation a run is given as context. */
const HISTORY_MESSAGES = 20;
const HISTORY_TYPES: ReadonlySet<EventType> = new Set(["message.user", "message.agent"]);

export interface AgentLoopDeps {
  directory: AgentDirectory;
  conversationLog: ConversationLog;
  runs: RunStore;
  queues: AgentQueues;
  deltas: DeltaPublisher;
  model: OpenAI;
  config: Config;
  log: Logger;
}

type PendingCall = RunState["pendingToolCalls"][number];

/**
 * The agent loop, one BullMQ job per run: model call (streamed) → tool calls → results back to the
 * model → … until an answer, a handoff, or a guard stops it. Every finished step is checkpointed
 * before the next, and every event carries a key derived from run and step, so a job that is run
 * again after a crash resumes where it stopped and logs nothing twice.
 */
export class AgentLoop {
  constructor(private readonly deps: AgentLoopDeps) {}

  /** BullMQ processor. Returns what a delegating parent receives from this run. */
  async process(job: Job, token: string | undefined): Promise<ChildResult> {
    const data = TurnJob.parse(job.data);
    // Both reads go out together: one round trip before the run can start.
    const [, loaded] = await Promise.all([this.deps.directory.refresh(), this.deps.runs.load(data.conversationId, data.runId)]);
    const agent = this.deps.directory.get(data.agent);
    const state = loaded ?? (await this.begin(data, agent));
    if (state.status === "completed" || state.status === "failed") return resultOf(state);
    try {
      if (!agent) throw new RunFailure("agent_unavailable", `The agent "${data.agent}" is no longer in the team, or is disabled.`);
      return await this.advance(state, agent, job, token);
    } catch (error) {
      if (error instanceof WaitingChildrenError) throw error;
      if (error instanceof RunFailure) return this.fail(state, error);
      const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
      if (attemptsLeft <= 0) {
        const reason = error instanceof Error ? error.message : String(error);
        return this.fail(state, new RunFailure("internal", `The run stopped on an internal error: ${reason}`, { cause: error }));
      }
      throw error;
    }
  }

  private async begin(job: TurnJob, agent: AgentDefinition | undefined): Promise<RunState> {
    const model = agent?.model ?? this.deps.config.model.defaultModel;
    const state: RunState = {
      v: RUN_STATE_VERSION,
      job,
      model,
      startedAt: Date.now(),
      status: "running",
      messages: [],
      steps: [],
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      pendingToolCalls: [],
    };
    // The start is logged while the history is read: the run shows as started as soon as it is.
    const [, messages] = await Promise.all([
      this.emit(state, "started", {
        type: "run.started",
        data: { task: job.task, model, depth: job.depth, mode: job.mode, parentRunId: job.parentRunId },
      }),
      agent ? this.initialMessages(job, agent) : [],
    ]);
    // Not checkpointed yet: a retry before the first step rebuilds the same messages (the history
    // before the triggering message does not change) and finds run.started already logged.
    state.messages = messages;
    return state;
  }

  private async initialMessages(job: TurnJob, agent: AgentDefinition): Promise<ChatCompletionMessageParam[]> {
    const system: ChatCompletionMessageParam = { role: "system", content: agent.instructions };
    if (job.mode === "delegate") return [system, { role: "user", content: job.task }];
    const earlier = await this.deps.conversationLog.readLatest(job.conversationId, HISTORY_MESSAGES * 3, HISTORY_TYPES, job.triggerEventId);
    const history: ChatCompletionMessageParam[] = [];
    for (const event of earlier) {
      if (event.type === "message.user") history.push({ role: "user", content: event.data.text });
      if (event.type === "message.agent") history.push({ role: "assistant", content: event.data.text });
    }
    return [system, ...history.slice(-HISTORY_MESSAGES), { role: "user", content: job.task }];
  }

  private async advance(state: RunState, agent: AgentDefinition, job: Job, token: string | undefined): Promise<ChildResult> {
    for (;;) {
      if (state.result !== undefined) return this.complete(state, "answered");
      if (state.delegation) await this.collectDelegation(state, job, token);
      if (state.pendingToolCalls.length > 0) {
        const handedOff = await this.runToolCalls(state, agent, job, token);
        if (handedOff) return handedOff;
        continue;
      }
      await this.modelStep(state, agent);
    }
  }

  private async modelStep(state: RunState, agent: AgentDefinition): Promise<void> {
    const { maxSteps, tokenBudget } = this.deps.config.limits;
    if (state.steps.length >= maxSteps) {
      throw new RunFailure(
        "step_limit",
        `Stopped after ${state.steps.length} model steps without a final answer (SWITCHBOARD_MAX_STEPS=${maxSteps}).`,
      );
    }
    const tools = this.toolSchemas(agent, state.job.task);
    const nextPrompt = estimateTokens(state.messages) + estimateTokens(tools);
    if (state.usage.totalTokens + nextPrompt > tokenBudget) {
      throw new RunFailure(
        "token_budget",
        `Stopped before the next model call: it would need about ${nextPrompt} tokens and this run has used ${state.usage.totalTokens} of its ${tokenBudget}-token budget (SWITCHBOARD_TOKEN_BUDGET).`,
      );
    }
    const { conversationId, runId } = state.job;
    const turn = await streamModelTurn(this.deps.model, { model: state.model, messages: state.messages, tools }, (text) =>
      this.deps.deltas.publish({ conversationId, runId, agent: agent.name, text }),
    );
    const step: StepRecord = {
      step: state.steps.length,
      latencyMs: Math.round(turn.latencyMs * 100) / 100,
      usage: turn.usage,
      costUsd: costOf(state.model, turn.usage),
      tools: turn.toolCalls.map((call) => call.function.name),
    };
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
    else if (turn.content.trim() !== "") await this.emit(state, `s${step.step}:text`, { type: "message.agent", data: { text: turn.content } });
    await this.deps.runs.save(state);
  }

  private toolSchemas(agent: AgentDefinition, request: string): ChatCompletionTool[] {
    const own = agent.tools.map((tool): ChatCompletionTool => ({
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: tool.jsonSchema },
    }));
    return [...own, ...handoffToolSchemas(handoffCandidates(agent, this.deps.directory, request))];
  }

  /** Runs the pending calls in order, checkpointing after each. Returns a result when the run ends in a transfer. */
  private async runToolCalls(
    state: RunState,
    agent: AgentDefinition,
    job: Job,
    token: string | undefined,
  ): Promise<ChildResult | undefined> {
    while (state.pendingToolCalls.length > 0) {
      const call = state.pendingToolCalls[0] as PendingCall;
      if (call.name === TRANSFER_TOOL || call.name === DELEGATE_TOOL) {
        const candidates = handoffCandidates(agent, this.deps.directory, state.job.task);
        const request = parseHandoff(call.name, call.arguments, candidates, state.job.task);
        const refusal = request.ok
          ? request.targets.map((target) => refuseHandoff(state.job, target.agent, this.deps.config.limits.maxHandoffDepth)).find(Boolean)
          : request.error;
        if (refusal !== undefined || !request.ok) {
          await this.recordToolOutcome(state, call, { ok: false, error: refusal ?? "handoff refused" }, 0);
          continue;
        }
        if (request.mode === "transfer") return this.transfer(state, agent, call, request.targets[0] as (typeof request.targets)[number]);
        await this.delegate(state, agent, call, request.targets, job, token);
        return undefined;
      }
      await this.executeTool(state, agent, call);
    }
    return undefined;
  }

  private async executeTool(state: RunState, agent: AgentDefinition, call: PendingCall): Promise<void> {
    const started = performance.now();
    const tool = agent.tools.find((candidate) => candidate.name === call.name);
    let args: unknown;
    try {
      args = JSON.parse(call.arguments || "{}");
    } catch {
      args = call.arguments;
    }
    await this.emit(state, `${call.id}:call`, { type: "tool.call", data: { toolCallId: call.id, tool: call.name, args } });
    const outcome = tool ? await this.invoke(tool, args, state) : { ok: false as const, error: `There is no tool named "${call.name}"; use one of: ${agent.tools.map((t) => t.name).join(", ") || "none"}.` };
    await this.recordToolOutcome(state, call, outcome, performance.now() - started);
  }

  /** A tool's failure, including invalid arguments, is returned to the model as an observation. */
  private async invoke(tool: AnyTool, args: unknown, state: RunState): Promise<{ ok: true; result: unknown } | { ok: false; error: string }> {
    const parsed = tool.parameters.safeParse(args);
    if (!parsed.success) return { ok: false, error: `Invalid arguments for ${tool.name}: ${z.prettifyError(parsed.error)}` };
    try {
      const { conversationId, runId, agent } = state.job;
      const result = await tool.execute(parsed.data, { conversationId, runId, agent, log: this.deps.log.child({ tool: tool.name, runId }) });
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private async recordToolOutcome(
    state: RunState,
    call: PendingCall,
    outcome: { ok: true; result: unknown } | { ok: false; error: string },
    latencyMs: number,
  ): Promise<void> {
    const data = {
      toolCallId: call.id,
      tool: call.name,
      latencyMs: Math.round(latencyMs * 100) / 100,
      ...(outcome.ok ? { ok: true, result: outcome.result } : { ok: false, error: outcome.error }),
    };
    await this.emit(state, `${call.id}:result`, { type: "tool.result", data });
    state.messages.push({
      role: "tool",
      tool_call_id: call.id,
      content: JSON.stringify(outcome.ok ? outcome.result : { ok: false, error: outcome.error }),
    });
    state.pendingToolCalls.shift();
    await this.deps.runs.save(state);
  }

  private async transfer(
    state: RunState,
    agent: AgentDefinition,
    call: PendingCall,
    target: { agent: string; reason: string; task: string },
  ): Promise<ChildResult> {
    const child = childJob(state.job, target, "transfer", `${state.job.runId}-t${state.steps.length}`);
    await this.emit(state, `${call.id}:handoff`, {
      type: "handoff",
      data: { from: agent.name, to: target.agent, mode: "transfer", reason: target.reason, task: target.task, childRunId: child.runId, depth: child.depth },
    });
    await this.deps.queues.enqueue(child);
    state.pendingToolCalls = [];
    state.result = `Transferred to ${target.agent}: ${target.reason}`;
    return this.complete(state, "transferred");
  }

  private async delegate(
    state: RunState,
    agent: AgentDefinition,
    call: PendingCall,
    targets: { agent: string; reason: string; task: string }[],
    job: Job,
    token: string | undefined,
  ): Promise<void> {
    const children = targets.map((target, index) =>
      childJob(state.job, target, "delegate", `${state.job.runId}-d${state.steps.length}-${index}`),
    );
    for (const [index, child] of children.entries()) {
      const target = targets[index] as (typeof targets)[number];
      await this.emit(state, `${call.id}:handoff:${index}`, {
        type: "handoff",
        data: { from: agent.name, to: child.agent, mode: "delegate", reason: target.reason, task: child.task, childRunId: child.runId, depth: child.depth },
      });
    }
    state.delegation = { toolCallId: call.id, children: children.map(({ runId, agent: name, task }) => ({ runId, agent: name, task })) };
    state.pendingToolCalls.shift();
    state.status = "waiting";
    await this.deps.runs.save(state);
    await this.deps.queues.enqueueChildren(job, children);
    await this.collectDelegation(state, job, token);
  }

  /**
   * Pauses the job (freeing its worker slot) until every child has finished, then hands the
   * children's results to the model as the delegate call's result. BullMQ runs the job again from
   * the top when the last child completes; the checkpoint brings it back here.
   */
  private async collectDelegation(state: RunState, job: Job, token: string | undefined): Promise<void> {
    const delegation = state.delegation;
    if (!delegation) return;
    if (token === undefined) throw new Error("a delegating run needs its job's lock token");
    if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
    const values = Object.values(await job.getChildrenValues()).map((value) => ChildResult.safeParse(value));
    const byRun = new Map(values.flatMap((parsed) => (parsed.success ? [[parsed.data.runId, parsed.data] as const] : [])));
    const results = delegation.children.map((child) => {
      const done = byRun.get(child.runId);
      return done
        ? { agent: child.agent, task: child.task, status: done.status, result: done.result }
        : { agent: child.agent, task: child.task, status: "failed" as const, result: `${child.agent} could not finish this task (its job failed).` };
    });
    state.messages.push({ role: "tool", tool_call_id: delegation.toolCallId, content: JSON.stringify(results) });
    state.delegation = undefined;
    state.status = "running";
    await this.deps.runs.save(state);
  }

  private async complete(state: RunState, outcome: "answered" | "transferred"): Promise<ChildResult> {
    const result = state.result ?? "";
    if (outcome === "answered") await this.emit(state, "answer", { type: "message.agent", data: { text: result } });
    await this.emit(state, "completed", {
      type: "run.completed",
      data: { outcome, ...totals(state) },
    });
    await this.returnToParent(state, "completed", result);
    state.status = "completed";
    await this.deps.runs.save(state);
    return resultOf(state);
  }

  private async fail(state: RunState, failure: RunFailure): Promise<ChildResult> {
    this.deps.log.warn({ runId: state.job.runId, code: failure.code, reason: failure.message }, "run failed");
    await this.emit(state, "failed", { type: "run.failed", data: { code: failure.code, reason: failure.message, ...totals(state) } });
    await this.returnToParent(state, "failed", failure.message);
    state.status = "failed";
    state.result = failure.message;
    await this.deps.runs.save(state);
    return resultOf(state);
  }

  /** A delegated run tells the log it has handed its result back, as soon as it has one. */
  private async returnToParent(state: RunState, status: "completed" | "failed", result: string): Promise<void> {
    const { job } = state;
    const parent = job.chain.at(-2);
    if (job.mode !== "delegate" || parent === undefined) return;
    await this.emit(state, "return", {
      type: "handoff.return",
      data: { from: job.agent, to: parent, childRunId: job.runId, status, result },
    });
  }

  /** Appends an event whose key is unique within the run, so a retried step does not log it twice. */
  private async emit(state: RunState, key: string, event: NewEvent): Promise<void> {
    const { conversationId, runId, agent } = state.job;
    await this.deps.conversationLog.append(conversationId, { ...event, agent, runId } as NewEvent, `${runId}:${key}`);
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

function resultOf(state: RunState): ChildResult {
  return {
    runId: state.job.runId,
    agent: state.job.agent,
    status: state.status === "failed" ? "failed" : "completed",
    result: state.result ?? "",
  };
}
