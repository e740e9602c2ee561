import type { ChatCompletionTool } from "openai/resources/chat/completions";
import { z } from "zod";
import { EVERY_AGENT } from "../shared/agent-spec.js";
import type { AgentDirectory } from "./agent-directory.js";
import type { AgentDefinition } from "./define-agent.js";
import {
  DELEGATE_DESCRIPTION,
  DELEGATE_TOOL,
  TRANSFER_DESCRIPTION,
  TRANSFER_TOOL,
  delegateParameters,
  transferParameters,
  type HandoffCandidate,
} from "./handoff-tools.js";
import { RelevanceIndex } from "./text/relevance.js";
import type { TurnJob } from "../shared/jobs.js";

/** Handoff targets offered in one model call at most; a larger team is narrowed by relevance. */
export const MAX_HANDOFF_CANDIDATES = 8;

export { DELEGATE_TOOL, TRANSFER_TOOL };

/**
 * The agents this one may hand `request` to, as the directory has them right now (`"*"`: every
 * other enabled agent). With many agents, only the ones whose descriptions fit the request best
 * are offered, so each model call stays small however large the team grows.
 */
export function handoffCandidates(agent: AgentDefinition, directory: AgentDirectory, request: string): HandoffCandidate[] {
  const names = agent.handoffs.includes(EVERY_AGENT) ? directory.list().map((target) => target.name) : agent.handoffs;
  const targets = [...new Set(names)]
    .filter((name) => name !== agent.name)
    .map((name) => directory.get(name))
    .filter((target): target is AgentDefinition => target !== undefined)
    .map((target) => ({ name: target.name, description: target.description }));
  if (targets.length <= MAX_HANDOFF_CANDIDATES) return targets;
  const ranked = RelevanceIndex.of(targets.map((target) => ({ id: target.name, text: target.description }))).rank(request);
  const keep = new Set(ranked.slice(0, MAX_HANDOFF_CANDIDATES).map((ranking) => ranking.id));
  return targets.filter((target) => keep.has(target.name));
}

/** Built schemas by candidate list: converting zod to JSON Schema on every model call is costly. */
const schemaCache = new Map<string, ChatCompletionTool[]>();
const SCHEMA_CACHE_SIZE = 200;

/** The `transfer` and `delegate` tools as the model sees them; none when there is nobody to hand to. */
export function handoffToolSchemas(candidates: HandoffCandidate[]): ChatCompletionTool[] {
  if (candidates.length === 0) return [];
  const key = JSON.stringify(candidates);
  const cached = schemaCache.get(key);
  if (cached) return cached;
  const built = buildHandoffToolSchemas(candidates);
  if (schemaCache.size >= SCHEMA_CACHE_SIZE) schemaCache.delete(schemaCache.keys().next().value as string);
  schemaCache.set(key, built);
  return built;
}

function buildHandoffToolSchemas(candidates: HandoffCandidate[]): ChatCompletionTool[] {
  const schema = (parameters: z.ZodObject) => {
    const { $schema: _ignored, ...json } = z.toJSONSchema(parameters, { io: "input" }) as Record<string, unknown>;
    return json;
  };
  return [
    { type: "function", function: { name: TRANSFER_TOOL, description: TRANSFER_DESCRIPTION, parameters: schema(transferParameters(candidates)) } },
    { type: "function", function: { name: DELEGATE_TOOL, description: DELEGATE_DESCRIPTION, parameters: schema(delegateParameters(candidates)) } },
  ];
}

export type HandoffRequest =
  | { ok: true; mode: "transfer"; targets: { agent: string; reason: string; task: string }[] }
  | { ok: true; mode: "delegate"; targets: { agent: string; reason: string; task: string }[] }
  | { ok: false; error: string };

/** Validates a transfer or delegate call's arguments against the candidates it was offered. */
export function parseHandoff(
  tool: string,
  rawArguments: string,
  candidates: HandoffCandidate[],
  request: string,
): HandoffRequest {
  let args: unknown;
  try {
    args = JSON.parse(rawArguments || "{}");
  } catch {
    return { ok: false, error: `${tool}: the arguments are not valid JSON` };
  }
  if (candidates.length === 0) return { ok: false, error: `${tool}: this agent has no agent to hand work to` };
  if (tool === TRANSFER_TOOL) {
    const parsed = transferParameters(candidates).safeParse(args);
    if (!parsed.success) return { ok: false, error: `${tool}: ${z.prettifyError(parsed.error)}` };
    return { ok: true, mode: "transfer", targets: [{ agent: parsed.data.agent, reason: parsed.data.reason, task: request }] };
  }
  const parsed = delegateParameters(candidates).safeParse(args);
  if (!parsed.success) return { ok: false, error: `${tool}: ${z.prettifyError(parsed.error)}` };
  return { ok: true, mode: "delegate", targets: parsed.data.tasks };
}

/**
 * Refuses a handoff that would go deeper than allowed, or that repeats a move already made in this
 * chain of runs (work bouncing between two agents). Returns the reason, or undefined when allowed.
 */
export function refuseHandoff(job: TurnJob, target: string, maxDepth: number): string | undefined {
  if (job.depth + 1 > maxDepth) {
    return `handoff to ${target} refused: the chain ${job.chain.join(" → ")} is already ${job.depth} handoffs deep (limit ${maxDepth}); answer with what you have`;
  }
  const from = job.chain.at(-1);
  for (let i = 1; i < job.chain.length; i++) {
    if (job.chain[i - 1] === from && job.chain[i] === target) {
      return `handoff to ${target} refused: ${from} already handed this work to ${target} in this chain (${job.chain.join(" → ")}); answer yourself instead of passing it back and forth`;
    }
  }
  return undefined;
}

/** The job of a run that a handoff starts; its id derives from the parent's, so a retry adds it once. */
export function childJob(
  parent: TurnJob,
  target: { agent: string; task: string },
  mode: "transfer" | "delegate",
  childRunId: string,
): TurnJob {
  return {
    v: 1,
    conversationId: parent.conversationId,
    runId: childRunId,
    agent: target.agent,
    mode,
    task: target.task,
    depth: parent.depth + 1,
    chain: [...parent.chain, target.agent],
    parentRunId: parent.runId,
    triggerEventId: parent.triggerEventId,
  };
}
