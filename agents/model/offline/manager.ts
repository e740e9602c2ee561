import { DELEGATE_TOOL, MAX_DELEGATED_TASKS, TRANSFER_TOOL, type HandoffCandidate } from "../../handoff-tools.js";
import { RelevanceIndex, type MatchedWord } from "../../text/relevance.js";
import { keywords } from "../../text/terms.js";
import { asRecord } from "./json-schema.js";
import { splitPayload, splitRequest } from "./request-parts.js";
import { afterToolResults, specialistDecision } from "./specialist.js";
import { synthesize } from "./synthesis.js";
import { describeOutcome, readToolOutcome } from "./tool-results.js";
import { isHandoffName, isHandoffTool, type Conversation, type Decision, type FunctionTool } from "./turn.js";
import { OFFLINE_INTRO, listOf, smallTalkOpener, summaryOf } from "./voice.js";
import { isWorkflowTool, workflowCall, workflowText } from "./workflow-tools.js";

/**
 * A manager (it has the `transfer`/`delegate` tools) routes the request's parts to the agents whose
 * descriptions match them and synthesizes what they return; a workflow it may run takes the
 * request when the workflow fits it better than any agent.
 */

const MAX_REASON_WORDS = 3;

interface Team {
  candidates: HandoffCandidate[];
  canTransfer: boolean;
  canDelegate: boolean;
  maxTasks: number;
}

interface RoutedPart {
  text: string;
  agent: string | undefined;
  matched: MatchedWord[];
  /** Holds a request at all (not just "hi" or "thanks"). */
  substantial: boolean;
}

/**
 * A manager routes; an agent with handoff tools *and* tools of its own (a specialist that may hand
 * on) uses its own tools for what no other agent's description matches. Workflows it may run were
 * weighed against the agents already, so they are not its own tools for this.
 */
export function managerDecision(conversation: Conversation, tools: FunctionTool[], callable: FunctionTool[]): Decision {
  const team = readTeam(tools, callable);
  const plan = planRequest(conversation.task, team.candidates);
  const hasOwnTools = tools.some((tool) => !isHandoffTool(tool) && !isWorkflowTool(tool.name));
  const ownCallable = callable.filter((tool) => !isHandoffTool(tool));
  const last = conversation.results.at(-1);
  if (last) {
    const call = conversation.callsSinceTask.find((candidate) => candidate.id === last.callId);
    if (call && !isHandoffName(call.name)) return afterToolResults(conversation, ownCallable);
    return { kind: "answer", content: answerAfterHandoff(last, partsNotHandedOn(plan, team.maxTasks)) };
  }
  if (conversation.callsSinceTask.length === 0) {
    const workflow = chooseWorkflow(conversation.task, team.candidates, ownCallable.filter((tool) => isWorkflowTool(tool.name)));
    if (workflow) return workflow;
    const handoff = routePlan(plan, team);
    if (handoff) return handoff;
  }
  if (hasOwnTools) return specialistDecision(conversation, tools, ownCallable.filter((tool) => !isWorkflowTool(tool.name)));
  return { kind: "answer", content: introduceTeam(team, plan) };
}

/** A workflow whose description matches the whole request better than every agent's, run with arguments from it. */
function chooseWorkflow(task: string, candidates: HandoffCandidate[], workflows: FunctionTool[]): Decision | undefined {
  if (workflows.length === 0 || task === "") return undefined;
  const index = RelevanceIndex.of([
    ...workflows.map((tool) => ({ id: tool.name, text: workflowText(tool) })),
    ...candidates.map((candidate) => ({ id: `agent:${candidate.name}`, text: candidateText(candidate) })),
  ]);
  const best = index.best(task);
  const tool = workflows.find((workflow) => workflow.name === best?.id);
  const call = tool && workflowCall(task, tool);
  return call ? { kind: "call", calls: [call] } : undefined;
}

function candidateText(candidate: HandoffCandidate): string {
  return `${candidate.name.replace(/-/g, " ")} ${candidate.description}`;
}

/**
 * The agents the handoff tools offer, read from their JSON Schemas: the `agent` property is an
 * `anyOf` of `{const: name, description}` (or a single `const` when there is one agent).
 */
function readTeam(tools: FunctionTool[], callable: FunctionTool[]): Team {
  const delegate = tools.find((tool) => tool.name === DELEGATE_TOOL);
  const transfer = tools.find((tool) => tool.name === TRANSFER_TOOL);
  const tasks = asRecord(asRecord(delegate?.parameters?.properties)?.tasks);
  const delegateAgent = asRecord(asRecord(asRecord(tasks?.items)?.properties)?.agent);
  const transferAgent = asRecord(asRecord(transfer?.parameters?.properties)?.agent);
  const candidates = new Map<string, HandoffCandidate>();
  // The delegate schema first: it keeps each agent's description even when there is only one agent.
  for (const node of [delegateAgent, transferAgent]) {
    for (const candidate of candidatesIn(node)) if (!candidates.has(candidate.name)) candidates.set(candidate.name, candidate);
  }
  return {
    candidates: [...candidates.values()],
    canTransfer: callable.some((tool) => tool.name === TRANSFER_TOOL),
    canDelegate: callable.some((tool) => tool.name === DELEGATE_TOOL),
    maxTasks: typeof tasks?.maxItems === "number" ? tasks.maxItems : MAX_DELEGATED_TASKS,
  };
}

function candidatesIn(node: Record<string, unknown> | undefined): HandoffCandidate[] {
  if (!node) return [];
  const options = Array.isArray(node.anyOf) ? node.anyOf.map(asRecord) : [node];
  const named = options.flatMap((option) =>
    typeof option?.const === "string"
      ? [{ name: option.const, description: typeof option.description === "string" ? option.description : "" }]
      : [],
  );
  if (named.length > 0) return named;
  return Array.isArray(node.enum) ? node.enum.filter((value): value is string => typeof value === "string").map((name) => ({ name, description: "" })) : [];
}

/** Each independent part of the request, with the agent whose description it matches, if any. */
function planRequest(task: string, candidates: HandoffCandidate[]): RoutedPart[] {
  if (candidates.length === 0) return [];
  const index = RelevanceIndex.of(candidates.map((candidate) => ({ id: candidate.name, text: candidateText(candidate) })));
  return splitRequest(task).map((text) => {
    // "rewrite this formally: <material>": the request is the part before the colon.
    const { head } = splitPayload(text);
    const match = (head !== text ? index.best(head) : undefined) ?? index.best(text);
    return { text, agent: match?.id, matched: match?.matched ?? [], substantial: keywords(text).length > 0 };
  });
}

/** A transfer for one routed request, a delegate for several (or one with leftovers); none if nothing routed. */
function routePlan(plan: RoutedPart[], team: Team): Decision | undefined {
  const routed = plan.filter((part) => part.agent !== undefined);
  const unrouted = plan.filter((part) => part.agent === undefined && part.substantial);
  const [first] = routed;
  if (!first) return undefined;
  const transferFits = routed.length === 1 && unrouted.length === 0;
  if (team.canTransfer && (transferFits || !team.canDelegate)) {
    return { kind: "call", calls: [{ name: TRANSFER_TOOL, args: { agent: first.agent, reason: reasonFor(first) } }] };
  }
  if (!team.canDelegate) return undefined;
  const tasks = routed.slice(0, team.maxTasks).map((part) => ({ agent: part.agent, task: part.text, reason: reasonFor(part) }));
  return { kind: "call", calls: [{ name: DELEGATE_TOOL, args: { tasks } }] };
}

/** Names what matched, in the description's own words: "asks about percentages, which calculator handles". */
function reasonFor(part: RoutedPart): string {
  const ordered = [...part.matched.filter((match) => match.distinctive), ...part.matched.filter((match) => !match.distinctive)];
  // The agent's own name is no reason to pick it.
  const described = ordered.map((match) => match.word).filter((word) => !(part.agent ?? "").split("-").includes(word));
  const words = [...new Set(described.length > 0 ? described : ordered.map((match) => match.word))].slice(0, MAX_REASON_WORDS);
  return `asks about ${listOf(words)}, which ${part.agent ?? "that agent"} handles`;
}

/** Nothing to route: say what this is and who is on the team, so nobody mistakes it for an LLM. */
function introduceTeam(team: Team, plan: RoutedPart[]): string {
  const greeting = plan.length > 0 && plan.every((part) => !part.substantial) ? smallTalkOpener(plan.map((part) => part.text).join(" ")) : "";
  if (team.candidates.length === 0) return `${greeting}${OFFLINE_INTRO}, and there is no agent to route your request to.`;
  const roster = team.candidates.map((candidate) => `- **${candidate.name}**: ${summaryOf(candidate.description) || "no description"}`).join("\n");
  const unmatched = plan.filter((part) => part.substantial).map((part) => `"${part.text}"`);
  const miss = unmatched.length > 0 ? ` Nothing in ${listOf(unmatched)} matches what one of them does.` : "";
  return `${greeting}${OFFLINE_INTRO}. I don't answer free-form questions myself; I route requests to the team.${miss} I can hand work to:\n\n${roster}\n\nAsk for something one of them does.`;
}

/** Parts nobody took: no agent matched them, or they were past the delegate tool's task limit. */
function partsNotHandedOn(plan: RoutedPart[], maxTasks: number): string[] {
  let routed = 0;
  return plan.flatMap((part) => {
    if (part.agent !== undefined) routed += 1;
    const handedOn = part.agent !== undefined && routed <= maxTasks;
    return !handedOn && part.substantial ? [part.text] : [];
  });
}

function answerAfterHandoff(last: { callId: string; content: string }, leftOver: string[]): string {
  const outcome = readToolOutcome(last.content);
  if (outcome.kind === "delegations") return synthesize(outcome.results, leftOver);
  if (outcome.kind === "error") {
    return `I couldn't hand this over: ${outcome.message}. ${OFFLINE_INTRO}, so I can't answer it myself; try rephrasing the request or check the team's agents.`;
  }
  return `The team has taken over this request. ${describeOutcome(outcome)}`;
}
