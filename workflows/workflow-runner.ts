import type OpenAI from "openai";
import { z } from "zod";
import { checkArguments, type AnyTool } from "../agents/define-tool.js";
import { RunFailure } from "../agents/errors.js";
import type { McpToolSource } from "../agents/mcp/mcp-servers.js";
import { completeModelCall } from "../agents/model/model-client.js";
import { costOf } from "../agents/model/pricing.js";
import type { Conversations } from "../platform/conversations.js";
import type { Logger } from "../platform/logger.js";
import { observeModelStep } from "../platform/metrics.js";
import type { ChildJob } from "../platform/queues.js";
import type { JournalEntry, StoredRun, WorkflowRunState, WorkflowRuns } from "../platform/workflow-runs.js";
import { totalsOf } from "../platform/workflow-runs.js";
import type { NextStep, RunPorts, Runnable } from "../runtime/next-step.js";
import type { Budget, NewEvent, StepKind, Usage, WorkflowFailureCode } from "../shared/events.js";
import { ChildResult, WORKFLOWS_QUEUE, WorkflowJob, WorkflowResult, type TurnJob } from "../shared/jobs.js";
import { nodeAt, type WorkflowDefinition } from "./define-workflow.js";
import type { ChainNode, Node } from "./step.js";

/** Where the runner finds definitions: the current one by name, and the one a run is pinned to. */
export interface WorkflowLibrary {
  current(name: string): WorkflowDefinition | undefined;
  /** The definition with that version: the current one, or an earlier one kept for pinned runs. */
  pinned(name: string, version: string): Promise<WorkflowDefinition | undefined>;
  budget(definition: WorkflowDefinition): Budget;
}

export interface WorkflowRunnerDeps {
  library: WorkflowLibrary;
  runs: WorkflowRuns;
  conversations: Conversations;
  model: OpenAI;
  defaultModel: string;
  tools: ReadonlyMap<string, AnyTool>;
  /** MCP servers' tools, for `tool` steps that name one (`<server>_<tool>`). */
  mcp?: Pick<McpToolSource, "tool">;
  log: Logger;
}

type Next = NextStep<WorkflowResult>;

/** Where a step sits: its path, and the rounds of the loops and fan-outs around it. */
interface Scope {
  path: string;
  rounds: number[];
}

type Outcome = { kind: "done"; output: unknown } | { kind: "stopped"; path: string; reason: string } | { kind: "wait"; next: Next };

/** A step that failed for good; the run fails with this code and reason. */
class StepFailure extends Error {
  constructor(
    readonly code: WorkflowFailureCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The workflow runner: a run is a job of the workflows queue, and each time it runs it walks the
 * definition from the top. A step found in the journal is not run again (its output is read from
 * there); the first one that is not is run and journaled, atomically with the event that reports
 * it. What must wait (fan-out branches and agent steps as flow children, a person's approval) is
 * returned to the host, which parks the job; when it comes back, the walk resumes from the journal.
 * Branches of a fan-out are jobs of their own that run their part of the tree the same way.
 *
 * A step runs at least once and is never run again after it completed; one cut off mid-way is run
 * again (its side effects get a stable idempotency key: `runId:path:rounds`).
 */
export class WorkflowRunner implements Runnable<WorkflowResult> {
  constructor(private readonly deps: WorkflowRunnerDeps) {}

  async advance(data: unknown, ports: RunPorts): Promise<Next> {
    const job = WorkflowJob.parse(data);
    const stored = await this.deps.runs.load(job.conversationId, job.runId);
    if (job.kind === "branch") return this.advanceBranch(job, stored, ports);
    const state = stored.state?.begunAt ? stored.state : await this.begin(job, stored.state);
    if (!state) return finish({ runId: job.runId, status: "failed", reason: `There is no workflow named "${job.workflow}".`, modelCalls: 0, costUsd: 0 });
    if (state.status !== "running" && state.status !== "waiting") return finish(resultOf(state, stored.journal));
    const definition = await this.deps.library.pinned(state.workflow, state.version);
    const execution = new Execution(this.deps, state, stored.journal, ports);
    try {
      if (!definition) {
        throw new StepFailure(
          "definition_changed",
          "",
          `The workflow "${state.workflow}" changed since this run started, and the version it started on (${state.version}) is no longer available; start it again.`,
        );
      }
      if (stored.cancelledBy) throw new StepFailure("cancelled", "", `Cancelled by ${stored.cancelledBy}.`);
      const outcome = await execution.run(definition.root, state.input, { path: "", rounds: [] });
      if (outcome.kind === "wait") return await this.waiting(state, outcome.next);
      return await this.complete(state, outcome);
    } catch (error) {
      if (error instanceof StepFailure) return this.fail(state, error);
      if (ports.attemptsLeft <= 0) {
        const reason = error instanceof Error ? error.message : String(error);
        return this.fail(state, new StepFailure("internal", "", `The run stopped on an internal error: ${reason}`));
      }
      throw error;
    }
  }

  private async begin(job: Extract<WorkflowJob, { kind: "run" }>, enqueued: WorkflowRunState | undefined): Promise<WorkflowRunState | undefined> {
    const definition = this.deps.library.current(job.workflow);
    if (!definition) return undefined;
    const owner = enqueued?.owner ?? job.owner ?? (await this.deps.conversations.owner(job.conversationId)) ?? "";
    const budget = this.deps.library.budget(definition);
    const state: WorkflowRunState = {
      ...(enqueued ?? { startedAt: new Date().toISOString() }),
      v: 1,
      runId: job.runId,
      workflow: definition.name,
      version: definition.version,
      conversationId: job.conversationId,
      owner,
      status: "running",
      input: job.input,
      budget,
      ...(job.parentRunId ? { parentRunId: job.parentRunId } : {}),
      begunAt: new Date().toISOString(),
    };
    // A run the server started is indexed already; one an agent started is not.
    if (!enqueued) await this.deps.runs.index(job.runId, job.conversationId, owner);
    await this.deps.runs.saveState(state, {
      key: `${job.runId}:started`,
      event: {
        type: "workflow.started",
        runId: job.runId,
        data: { workflow: definition.name, version: definition.version, input: job.input, budget, ...(job.parentRunId ? { parentRunId: job.parentRunId } : {}) },
      },
    });
    return state;
  }

  private async advanceBranch(job: Extract<WorkflowJob, { kind: "branch" }>, stored: StoredRun, ports: RunPorts): Promise<Next> {
    const failed = (reason: string): Next => finish({ runId: job.runId, status: "failed", reason, modelCalls: 0, costUsd: 0 });
    const state = stored.state;
    if (!state) return failed("the run this branch belongs to is gone");
    const definition = await this.deps.library.pinned(job.workflow, job.version);
    const node = definition ? nodeAt(definition.root, job.path) : undefined;
    if (!node) return failed(`the step "${job.path}" is not in the version of "${job.workflow}" this run is pinned to`);
    const execution = new Execution(this.deps, state, stored.journal, ports);
    try {
      const outcome = await execution.run(node, job.input, { path: job.path, rounds: job.rounds });
      if (outcome.kind === "wait") return outcome.next;
      if (outcome.kind === "stopped") return failed(`stopped at ${outcome.path}: ${outcome.reason}`);
      return finish({ runId: job.runId, status: "completed", output: outcome.output, modelCalls: 0, costUsd: 0 });
    } catch (error) {
      if (error instanceof StepFailure) return failed(error.message);
      if (ports.attemptsLeft <= 0) return failed(`an internal error: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  private async waiting(state: WorkflowRunState, next: Next): Promise<Next> {
    const waitingFor = next.kind === "wait-approval" ? next.approval.id : undefined;
    const status = waitingFor ? "waiting" : "running";
    if (state.status !== status || state.waitingFor !== waitingFor) {
      const { waitingFor: _previous, ...rest } = state;
      await this.deps.runs.saveState({ ...rest, status, ...(waitingFor ? { waitingFor } : {}) });
    }
    return next;
  }

  private async complete(state: WorkflowRunState, outcome: Extract<Outcome, { kind: "done" | "stopped" }>): Promise<Next> {
    const { journal } = await this.deps.runs.load(state.conversationId, state.runId);
    const totals = totalsOf(journal.values());
    const output = outcome.kind === "done" ? outcome.output : undefined;
    const stopped = outcome.kind === "stopped" ? { path: outcome.path, reason: outcome.reason } : undefined;
    const { waitingFor: _waiting, ...rest } = state;
    const finished: WorkflowRunState = { ...rest, status: "completed", finishedAt: new Date().toISOString(), ...(output !== undefined ? { output } : {}), ...(stopped ? { stopped } : {}) };
    await this.deps.runs.saveState(finished, {
      key: `${state.runId}:completed`,
      event: {
        type: "workflow.completed",
        runId: state.runId,
        data: { workflow: state.workflow, output, budget: state.budget, ...totals, latencyMs: Date.now() - Date.parse(state.startedAt), ...(stopped ? { stopped } : {}) },
      },
    });
    return finish(resultOf(finished, journal));
  }

  private async fail(state: WorkflowRunState, failure: StepFailure): Promise<Next> {
    this.deps.log.warn({ runId: state.runId, code: failure.code, path: failure.path, reason: failure.message }, "workflow run failed");
    const { journal } = await this.deps.runs.load(state.conversationId, state.runId);
    const totals = totalsOf(journal.values());
    const { waitingFor: _waiting, ...rest } = state;
    const error = { code: failure.code, reason: failure.message, ...(failure.path ? { path: failure.path } : {}) };
    const finished: WorkflowRunState = { ...rest, status: failure.code === "cancelled" ? "cancelled" : "failed", finishedAt: new Date().toISOString(), error };
    await this.deps.runs.saveState(finished, {
      key: `${state.runId}:failed`,
      event: {
        type: "workflow.failed",
        runId: state.runId,
        data: { workflow: state.workflow, budget: state.budget, ...totals, latencyMs: Date.now() - Date.parse(state.startedAt), ...error },
      },
    });
    return finish(resultOf(finished, journal));
  }
}

/** One walk of a run's tree (or of a branch's part of it) against the journal. */
class Execution {
  constructor(
    private readonly deps: WorkflowRunnerDeps,
    private readonly state: WorkflowRunState,
    private readonly journal: Map<string, JournalEntry>,
    private readonly ports: RunPorts,
  ) {}

  /** Runs `node` (a chain, for the root) on `input`: from the journal where it can, for real where it must. */
  async run(node: Node, input: unknown, scope: Scope): Promise<Outcome> {
    if (scope.path === "" && node.kind === "chain") return this.chain(node, input, scope);
    const key = keyOf(scope);
    const entry = this.journal.get(key);
    if (entry?.status === "completed") return entry.stopped ? { kind: "stopped", path: scope.path, reason: entry.stopped } : { kind: "done", output: entry.output };
    if (entry?.status === "failed") throw new StepFailure("step_failed", scope.path, `${scope.path}: ${entry.error ?? "failed"}`);
    if (!entry) await this.started(node, scope);
    const started = entry?.startedAt ?? new Date().toISOString();
    const at = (child: Node) => ({ path: `${scope.path}/${child.name}`, rounds: scope.rounds });
    switch (node.kind) {
      case "llm":
        return this.finished(node, scope, started, await this.llm(node, input, scope));
      case "tool":
        return this.finished(node, scope, started, { output: await this.tool(node, input, scope) });
      case "code": {
        const output = await node.run(input, { runId: this.state.runId, conversationId: this.state.conversationId, path: scope.path, idempotencyKey: idempotencyKey(this.state.runId, scope), log: this.deps.log.child({ runId: this.state.runId, step: scope.path }) });
        return this.finished(node, scope, started, { output, modelCalls: node.modelCalls });
      }
      case "gate": {
        const verdict = node.check(input);
        return this.finished(node, scope, started, { output: input, ...(verdict === true ? {} : { stopped: verdict }) });
      }
      case "approval":
        return this.approval(node, input, scope, started);
      case "agent":
      case "workflow":
        return this.child(node, input, scope, started);
      case "chain":
        return this.settle(node, scope, started, await this.chain(node, input, scope));
      case "route": {
        const choice = node.select(input);
        const branch = node.branches[choice];
        if (!branch) throw new StepFailure("unknown_branch", scope.path, `${scope.path}: no branch "${choice}" (branches: ${Object.keys(node.branches).join(", ")})`);
        if (!entry) {
          for (const other of Object.values(node.branches)) if (other !== branch) await this.skipped(other, at(other));
        }
        return this.settle(node, scope, started, await this.run(branch, input, at(branch)));
      }
      case "parallel": {
        const branches = Object.entries(node.branches).map(([name, branch]) => ({ name, node: branch as Node, input, scope: at(branch) }));
        const fanned = await this.fanOut(branches);
        if (fanned.kind !== "done") return fanned;
        return this.settle(node, scope, started, { kind: "done", output: Object.fromEntries(branches.map((branch, index) => [branch.name, (fanned.output as unknown[])[index]])) });
      }
      case "vote": {
        const copies = Array.from({ length: node.n }, (_, index) => ({ name: String(index + 1), node: node.step, input, scope: { path: at(node.step).path, rounds: [...scope.rounds, index + 1] } }));
        const fanned = await this.fanOut(copies);
        if (fanned.kind !== "done") return fanned;
        return this.settle(node, scope, started, { kind: "done", output: node.combine(fanned.output as unknown[]) });
      }
      case "orchestrate":
        return this.orchestrate(node, input, scope, started);
      case "loop":
        return this.loop(node, input, scope, started);
    }
  }

  private async chain(node: ChainNode, input: unknown, scope: Scope): Promise<Outcome> {
    let value = input;
    for (const step of node.steps) {
      const outcome = await this.run(step, value, { path: scope.path ? `${scope.path}/${step.name}` : step.name, rounds: scope.rounds });
      if (outcome.kind !== "done") return outcome;
      value = outcome.output;
    }
    return { kind: "done", output: value };
  }

  private async llm(node: Extract<Node, { kind: "llm" }>, input: unknown, scope: Scope): Promise<StepResult> {
    const prompt = node.prompt ? node.prompt(input) : typeof input === "string" ? input : JSON.stringify(input, null, 2);
    const messages = [...(node.system ? [{ role: "system" as const, content: node.system }] : []), { role: "user" as const, content: prompt }];
    const model = node.model ?? this.deps.defaultModel;
    const schema = node.output ? jsonSchemaOf(node.output) : undefined;
    let answer;
    try {
      answer = await completeModelCall(this.deps.model, { model, messages, ...(schema ? { schema: { name: node.name.replaceAll("-", "_"), schema } } : {}) });
    } catch (error) {
      if (error instanceof RunFailure) throw await this.failed(node, scope, error.message, "step_failed");
      throw error;
    }
    const usage = answer.usage;
    const costUsd = costOf(model, usage);
    // In the same series as agents' steps, named so a workflow's model calls stand apart.
    observeModelStep(`workflow:${this.state.workflow}`, model, { latencyMs: answer.latencyMs, usage, costUsd });
    if (!node.output) return { output: answer.content, usage, costUsd, modelCalls: 1, latencyMs: answer.latencyMs, model };
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.content);
    } catch {
      throw await this.failed(node, scope, `the model's answer is not JSON: ${answer.content.slice(0, 200)}`, "invalid_output", { usage, costUsd, modelCalls: 1, model });
    }
    const checked = node.output.safeParse(parsed);
    if (!checked.success) {
      throw await this.failed(node, scope, `the model's answer does not match the step's output schema: ${z.prettifyError(checked.error)}`, "invalid_output", { usage, costUsd, modelCalls: 1, model });
    }
    return { output: checked.data, usage, costUsd, modelCalls: 1, latencyMs: answer.latencyMs, model };
  }

  private async tool(node: Extract<Node, { kind: "tool" }>, input: unknown, scope: Scope): Promise<unknown> {
    const tool = this.deps.tools.get(node.tool) ?? this.deps.mcp?.tool(node.tool);
    if (!tool) throw await this.failed(node, scope, `there is no tool named "${node.tool}" in this agents process`);
    // An MCP server's tool is checked against its JSON Schema before anything is sent to the server.
    const args = checkArguments(tool, node.args ? node.args(input) : input);
    if (!args.ok) throw await this.failed(node, scope, `invalid arguments for ${tool.name}: ${args.error}`);
    try {
      return await tool.execute(args.value as never, {
        conversationId: this.state.conversationId,
        runId: this.state.runId,
        agent: this.state.workflow,
        idempotencyKey: idempotencyKey(this.state.runId, scope),
        log: this.deps.log.child({ runId: this.state.runId, tool: tool.name }),
      });
    } catch (error) {
      throw await this.failed(node, scope, error instanceof Error ? error.message : String(error));
    }
  }

  private async approval(node: Extract<Node, { kind: "approval" }>, input: unknown, scope: Scope, started: string): Promise<Outcome> {
    const id = `${this.state.runId}.${jobIdPart(scope)}`;
    const decision = await this.ports.decision(id);
    if (!decision) {
      const requestedAt = new Date().toISOString();
      return {
        kind: "wait",
        next: {
          kind: "wait-approval",
          approval: {
            id,
            conversationId: this.state.conversationId,
            owner: this.state.owner,
            runId: this.state.runId,
            kind: "workflow",
            title: node.title ? node.title(input) : `${this.state.workflow}: approve "${node.name}"?`,
            data: node.data ? node.data(input) : input,
            workflow: this.state.workflow,
            path: scope.path,
            requestedAt,
            ...(node.timeoutMs !== undefined ? { timeoutAt: new Date(Date.parse(started) + node.timeoutMs).toISOString() } : {}),
            onTimeout: node.onTimeout,
          },
        },
      };
    }
    const rejected = decision.decision === "reject" ? `Rejected by ${decision.by}${decision.comment ? `: ${decision.comment}` : "."}` : undefined;
    return this.finished(node, scope, started, { output: input, ...(rejected ? { stopped: rejected } : {}) });
  }

  /** An agent step or a sub-workflow: a flow child whose result the run waits for. */
  private async child(node: Extract<Node, { kind: "agent" | "workflow" }>, input: unknown, scope: Scope, started: string): Promise<Outcome> {
    const id = `${this.state.runId}.${jobIdPart(scope)}`;
    const outcome = (await this.ports.childResults()).get(id);
    if (!outcome) return { kind: "wait", next: { kind: "wait-children", children: [this.childJob(node, input, id)] } };
    if (node.kind === "agent") {
      const result = outcome.ok ? ChildResult.safeParse(outcome.value) : undefined;
      if (!result?.success || result.data.status === "failed") {
        throw await this.failed(node, scope, `the agent ${node.agent} could not finish: ${result?.success ? result.data.result : outcome.ok ? "no result" : outcome.reason}`);
      }
      const { modelCalls, costUsd, usage } = result.data;
      return this.finished(node, scope, started, { output: result.data.result, modelCalls, costUsd, ...(usage ? { usage } : {}) });
    }
    const result = outcome.ok ? WorkflowResult.safeParse(outcome.value) : undefined;
    if (!result?.success || result.data.status === "failed") {
      throw await this.failed(node, scope, `the workflow ${node.workflow} failed: ${result?.success && result.data.status === "failed" ? result.data.reason : outcome.ok ? "no result" : outcome.reason}`);
    }
    return this.finished(node, scope, started, { output: result.data.output, modelCalls: result.data.modelCalls, costUsd: result.data.costUsd });
  }

  private childJob(node: Extract<Node, { kind: "agent" | "workflow" }>, input: unknown, id: string): ChildJob {
    const { conversationId, runId } = this.state;
    if (node.kind === "workflow") {
      const data: WorkflowJob = { v: 1, kind: "run", runId: id, conversationId, owner: this.state.owner, workflow: node.workflow, input: node.input ? node.input(input) : input };
      return { queue: WORKFLOWS_QUEUE, id, name: node.workflow, data };
    }
    const task = node.task ? node.task(input) : typeof input === "string" ? input : JSON.stringify(input, null, 2);
    const data: TurnJob = { v: 1, conversationId, runId: id, agent: node.agent, mode: "workflow", task, depth: 0, chain: [node.agent], parentRunId: runId };
    return { queue: node.agent, id, name: "workflow", data };
  }

  /**
   * Runs each part as a branch job (a flow child) and collects their outputs in order. Parts the
   * journal or the finished children already answer are not added again.
   */
  private async fanOut(parts: { name: string; node: Node; input: unknown; scope: Scope }[]): Promise<Outcome> {
    const outcomes = await this.ports.childResults();
    const outputs: unknown[] = [];
    const missing: ChildJob[] = [];
    for (const part of parts) {
      const entry = this.journal.get(keyOf(part.scope));
      if (entry?.status === "completed") {
        outputs.push(entry.output);
        continue;
      }
      const id = `${this.state.runId}.${jobIdPart(part.scope)}`;
      const outcome = outcomes.get(id);
      if (!outcome) {
        const data: WorkflowJob = { v: 1, kind: "branch", runId: this.state.runId, conversationId: this.state.conversationId, owner: this.state.owner, workflow: this.state.workflow, version: this.state.version, path: part.scope.path, rounds: part.scope.rounds, input: part.input };
        missing.push({ queue: WORKFLOWS_QUEUE, id, name: `${this.state.workflow}:${part.name}`.replaceAll(":", "/"), data });
        continue;
      }
      const result = outcome.ok ? WorkflowResult.safeParse(outcome.value) : undefined;
      if (!result?.success || result.data.status === "failed") {
        const why = result?.success && result.data.status === "failed" ? result.data.reason : outcome.ok ? "no result" : outcome.reason;
        throw new StepFailure("step_failed", part.scope.path, `${part.scope.path}: ${why}`);
      }
      outputs.push(result.data.output);
    }
    if (missing.length > 0) return { kind: "wait", next: { kind: "wait-children", children: missing } };
    return { kind: "done", output: outputs };
  }

  private async orchestrate(node: Extract<Node, { kind: "orchestrate" }>, input: unknown, scope: Scope, started: string): Promise<Outcome> {
    const at = (child: Node, rounds = scope.rounds) => ({ path: `${scope.path}/${child.name}`, rounds });
    const planned = await this.run(node.planner, input, at(node.planner));
    if (planned.kind !== "done") return planned;
    const plan = planned.output as { subtasks?: unknown };
    const subtasks = node.subtasks ? node.subtasks(plan) : Array.isArray(plan) ? plan : Array.isArray(plan?.subtasks) ? plan.subtasks : undefined;
    if (!subtasks) throw new StepFailure("step_failed", at(node.planner).path, `${scope.path}: the planner's output has no list of subtasks`);
    if (subtasks.length > node.maxWorkers) {
      throw new StepFailure("too_many_subtasks", scope.path, `${scope.path}: the planner returned ${subtasks.length} subtasks; at most ${node.maxWorkers} may run (maxWorkers)`);
    }
    const workers = subtasks.map((task, index) => ({ name: String(index + 1), node: node.worker, input: task, scope: at(node.worker, [...scope.rounds, index + 1]) }));
    const fanned = await this.fanOut(workers);
    if (fanned.kind !== "done") return fanned;
    const results = subtasks.map((task, index) => ({ task, output: (fanned.output as unknown[])[index] }));
    return this.settle(node, scope, started, await this.run(node.synthesizer, { input, results }, at(node.synthesizer)));
  }

  private async loop(node: Extract<Node, { kind: "loop" }>, input: unknown, scope: Scope, started: string): Promise<Outcome> {
    let previous: unknown;
    let feedback: unknown;
    for (let round = 1; round <= node.maxRounds; round++) {
      const rounds = [...scope.rounds, round];
      const generated = await this.run(node.generate, { input, round, ...(round > 1 ? { previous, feedback } : {}) }, { path: `${scope.path}/${node.generate.name}`, rounds });
      if (generated.kind !== "done") return generated;
      const evaluated = await this.run(node.evaluate, generated.output, { path: `${scope.path}/${node.evaluate.name}`, rounds });
      if (evaluated.kind !== "done") return evaluated;
      previous = generated.output;
      feedback = evaluated.output;
      if (node.until(evaluated.output, generated.output)) break;
    }
    return this.settle(node, scope, started, { kind: "done", output: previous });
  }

  /** A pattern node finishes with what its steps produced; a stop or a wait passes through. */
  private async settle(node: Node, scope: Scope, started: string, outcome: Outcome): Promise<Outcome> {
    if (outcome.kind === "wait") return outcome;
    if (outcome.kind === "stopped") {
      await this.write(node, scope, { status: "completed", startedAt: started, stopped: outcome.reason, modelCalls: 0, costUsd: 0 }, "completed");
      return outcome;
    }
    return this.finished(node, scope, started, { output: outcome.output, modelCalls: 0 });
  }

  private async finished(node: Node, scope: Scope, started: string, result: StepResult): Promise<Outcome> {
    const { stopped, output, modelCalls = 0, costUsd = 0, usage, model } = result;
    const latencyMs = Math.round((result.latencyMs ?? Date.now() - Date.parse(started)) * 100) / 100;
    await this.write(node, scope, { status: "completed", startedAt: started, latencyMs, output, modelCalls, costUsd, ...(usage ? { usage } : {}), ...(stopped ? { stopped } : {}) }, "completed", model);
    return stopped ? { kind: "stopped", path: scope.path, reason: stopped } : { kind: "done", output };
  }

  /** Journals the failure and returns the error that ends the run. */
  private async failed(
    node: Node,
    scope: Scope,
    error: string,
    code: WorkflowFailureCode = "step_failed",
    spent: { usage?: Usage; costUsd?: number; modelCalls?: number; model?: string } = {},
  ): Promise<StepFailure> {
    await this.write(node, scope, { status: "failed", error, modelCalls: spent.modelCalls ?? 0, costUsd: spent.costUsd ?? 0, ...(spent.usage ? { usage: spent.usage } : {}) }, "failed", spent.model);
    return new StepFailure(code, scope.path, `${scope.path}: ${error}`);
  }

  /** Journals the start; a cancel request found there ends the run before the step does anything. */
  private async started(node: Node, scope: Scope): Promise<void> {
    const cancelledBy = await this.write(node, scope, { status: "started", startedAt: new Date().toISOString(), modelCalls: 0, costUsd: 0 }, "started");
    if (cancelledBy) throw new StepFailure("cancelled", scope.path, `Cancelled by ${cancelledBy}.`);
  }

  private async skipped(node: Node, scope: Scope): Promise<void> {
    await this.write(node, scope, { status: "skipped", modelCalls: 0, costUsd: 0 }, "skipped");
  }

  /**
   * Journals the step and logs its event in one atomic step; returns who asked to cancel the run,
   * if anyone did. `model` is the model an llm step called: the event carries it, so the page can
   * tell a free step on the offline model from a priced one.
   */
  private async write(
    node: Node,
    scope: Scope,
    fields: Omit<JournalEntry, "path" | "kind" | "rounds" | "round">,
    status: "started" | "completed" | "failed" | "skipped",
    model?: string,
  ): Promise<string | undefined> {
    const kind = node.kind as StepKind;
    const round = scope.rounds.at(-1);
    const entry: JournalEntry = { path: scope.path, kind, rounds: scope.rounds, ...(round !== undefined ? { round } : {}), ...fields };
    this.journal.set(keyOf(scope), entry);
    const event: NewEvent = {
      type: "workflow.step",
      runId: this.state.runId,
      data: {
        workflow: this.state.workflow,
        path: scope.path,
        kind,
        status,
        ...(round !== undefined ? { round } : {}),
        ...(status === "completed" && fields.output !== undefined ? { output: fields.output } : {}),
        ...(fields.error ? { error: fields.error } : {}),
        ...(fields.usage ? { usage: fields.usage } : {}),
        ...(status === "completed" || status === "failed" ? { modelCalls: fields.modelCalls, costUsd: fields.costUsd } : {}),
        ...(fields.latencyMs !== undefined ? { latencyMs: fields.latencyMs } : {}),
        ...(model !== undefined ? { model } : {}),
      },
    };
    return this.deps.runs.record(this.state.conversationId, this.state.runId, keyOf(scope), entry, { event, key: `${this.state.runId}:${keyOf(scope)}:${status}` });
  }
}

interface StepResult {
  output: unknown;
  stopped?: string;
  modelCalls?: number;
  costUsd?: number;
  usage?: Usage;
  latencyMs?: number;
  /** The model an llm step called. */
  model?: string;
}

/** The journal key of a step: its path and rounds ("loop/review@2"). */
function keyOf(scope: Scope): string {
  return `${scope.path}${scope.rounds.map((round) => `@${round}`).join("")}`;
}

/** The key as a BullMQ job id part: no ':' allowed there. */
function jobIdPart(scope: Scope): string {
  return `${scope.path.replaceAll("/", ".")}${scope.rounds.map((round) => `~${round}`).join("")}`;
}

function idempotencyKey(runId: string, scope: Scope): string {
  return `${runId}:${scope.path}:${scope.rounds.join(".") || "0"}`;
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: "output" }) as Record<string, unknown>;
  return json;
}

function finish(result: WorkflowResult): Next {
  return { kind: "finish", result };
}

function resultOf(state: WorkflowRunState, journal: Map<string, JournalEntry>): WorkflowResult {
  const { modelCalls, costUsd } = totalsOf(journal.values());
  if (state.status === "completed") return { runId: state.runId, status: "completed", output: state.output ?? (state.stopped ? { stopped: state.stopped } : null), modelCalls, costUsd };
  return { runId: state.runId, status: "failed", reason: state.error?.reason ?? `the run was ${state.status}`, modelCalls, costUsd };
}
