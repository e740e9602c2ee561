import { createHash } from "node:crypto";
import type {
  ChatCompletionCreateParams,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from "openai/resources/chat/completions";
import { DELEGATE_TOOL, MAX_DELEGATED_TASKS, TRANSFER_TOOL, type HandoffCandidate } from "../handoff-tools.js";
import { writeDirectly, writingKind } from "./offline-writing.js";
import { splitPayload, splitRequest } from "./request-parts.js";
import { keywords, TextMatcher, type MatchedTerm } from "./text-match.js";
import { asRecord, fillArguments, type JsonSchema } from "./tool-arguments.js";
import { describeOutcome, readToolOutcome, type DelegatedResult, type ToolOutcome } from "./tool-results.js";

/**
 * The offline model: a deterministic reply to a chat completions request, the way an agent runtime
 * sends it. A manager (it has the `transfer`/`delegate` tools) routes the request's parts to the agents
 * whose descriptions match them and synthesizes what they return; a specialist picks the tool that
 * fits the task, fills its arguments from the task, and answers from the tool's result. Pure logic:
 * the wire protocol lives in offline-fetch.ts.
 */

export interface OfflineToolCall {
  id: string;
  name: string;
  /** JSON text, as the wire protocol carries it. */
  arguments: string;
}

export interface OfflineUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface OfflineReply {
  content: string | null;
  toolCalls: OfflineToolCall[];
  usage: OfflineUsage;
}

/** A specialist never calls tools more than this many times for one user message. */
const MAX_TOOL_CALLS_PER_TASK = 2;
const OFFLINE_INTRO = "I'm Switchboard's offline model (rule-based, no LLM behind it)";
/** Calling a tool the instructions name is slightly more likely: the agent was told to use it. */
const MENTIONED_TOOL_BONUS = 0.25;
const MAX_REASON_WORDS = 3;
const MAX_SUMMARY_CHARS = 90;

type Decision = { kind: "answer"; content: string } | { kind: "call"; calls: PlannedCall[] };

interface PlannedCall {
  name: string;
  args: Record<string, unknown>;
}

interface FunctionTool {
  name: string;
  description: string;
  parameters: JsonSchema | undefined;
}

interface PastCall {
  id: string;
  name: string;
  arguments: string;
}

interface Conversation {
  /** System and developer messages: the agent's instructions. */
  instructions: string;
  /** The newest user message: what this turn is about. */
  task: string;
  /** Tool calls the assistant made since that message. */
  callsSinceTask: PastCall[];
  /** Tool results the conversation ends with, answering the latest calls. */
  results: { callId: string; content: string }[];
}

export function offlineReply(request: ChatCompletionCreateParams): OfflineReply {
  const tools = functionTools(request.tools);
  const conversation = readConversation(request.messages);
  const callable = callableTools(tools, request.tool_choice);
  const decision = tools.some(isHandoffTool)
    ? managerDecision(conversation, tools, callable)
    : specialistDecision(conversation, tools, callable);
  return toReply(request, decision);
}

// ——— reading the request ———

function functionTools(tools: readonly ChatCompletionTool[] | undefined): FunctionTool[] {
  return (tools ?? []).flatMap((tool) =>
    tool.type === "function"
      ? [{ name: tool.function.name, description: tool.function.description ?? "", parameters: tool.function.parameters }]
      : [],
  );
}

/** `tool_choice: "none"` forbids calls; a named function allows only that one. */
function callableTools(tools: FunctionTool[], choice: ChatCompletionToolChoiceOption | undefined): FunctionTool[] {
  if (choice === "none") return [];
  if (typeof choice === "object" && choice.type === "function") return tools.filter((tool) => tool.name === choice.function.name);
  return tools;
}

function readConversation(messages: readonly ChatCompletionMessageParam[]): Conversation {
  const instructions = messages
    .filter((message) => message.role === "system" || message.role === "developer")
    .map((message) => textOf(message.content))
    .join("\n");
  let taskIndex = messages.length - 1;
  while (taskIndex >= 0 && messages[taskIndex]?.role !== "user") taskIndex -= 1;
  const since = messages.slice(taskIndex + 1);
  const callsSinceTask = since.flatMap((message) =>
    message.role === "assistant"
      ? (message.tool_calls ?? []).flatMap((call) =>
          call.type === "function" ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
        )
      : [],
  );
  const trailing: { callId: string; content: string }[] = [];
  for (const message of [...since].reverse()) {
    if (message.role !== "tool") break;
    trailing.unshift({ callId: message.tool_call_id, content: textOf(message.content) });
  }
  const task = taskIndex >= 0 ? textOf(messages[taskIndex]?.content).trim() : "";
  return { instructions, task, callsSinceTask, results: trailing };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => asRecord(part))
    .map((part) => (part && typeof part.text === "string" ? part.text : ""))
    .join("");
}

// ——— manager ———

function isHandoffTool(tool: FunctionTool): boolean {
  return isHandoffName(tool.name);
}

interface Team {
  candidates: HandoffCandidate[];
  canTransfer: boolean;
  canDelegate: boolean;
  maxTasks: number;
}

interface RoutedPart {
  text: string;
  agent: string | undefined;
  matched: MatchedTerm[];
  /** Holds a request at all (not just "hi" or "thanks"). */
  substantial: boolean;
}

/**
 * A manager routes; an agent with handoff tools *and* tools of its own (a specialist that may hand
 * on) uses its own tools for what no other agent's description matches.
 */
function managerDecision(conversation: Conversation, tools: FunctionTool[], callable: FunctionTool[]): Decision {
  const team = readTeam(tools, callable);
  const plan = planRequest(conversation.task, team.candidates);
  const hasOwnTools = tools.some((tool) => !isHandoffTool(tool));
  const ownCallable = callable.filter((tool) => !isHandoffTool(tool));
  const last = conversation.results.at(-1);
  if (last) {
    const call = conversation.callsSinceTask.find((candidate) => candidate.id === last.callId);
    if (call && !isHandoffName(call.name)) return afterToolResults(conversation, ownCallable);
    return { kind: "answer", content: answerAfterHandoff(last, partsNotHandedOn(plan, team.maxTasks)) };
  }
  if (conversation.callsSinceTask.length === 0) {
    const handoff = routePlan(plan, team);
    if (handoff) return handoff;
  }
  if (hasOwnTools) return specialistDecision(conversation, tools, ownCallable);
  return { kind: "answer", content: introduceTeam(team, plan) };
}

function isHandoffName(name: string): boolean {
  return name === TRANSFER_TOOL || name === DELEGATE_TOOL;
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
  const matcher = new TextMatcher(candidates.map((candidate) => ({ id: candidate.name, text: `${candidate.name.replace(/-/g, " ")} ${candidate.description}` })));
  return splitRequest(task).map((text) => {
    // "rewrite this formally: <material>": the request is the part before the colon.
    const { head } = splitPayload(text);
    const match = (head !== text ? matcher.best(head) : undefined) ?? matcher.best(text);
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
  const described = ordered.map((match) => match.candidate).filter((word) => !(part.agent ?? "").split("-").includes(word));
  const words = [...new Set(described.length > 0 ? described : ordered.map((match) => match.candidate))].slice(0, MAX_REASON_WORDS);
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

/** Every agent's result under its name, failures marked, and what nobody took. */
function synthesize(results: DelegatedResult[], leftOver: string[]): string {
  const repeated = (agent: string) => results.filter((result) => result.agent === agent).length > 1;
  // An agent that got two tasks is labelled with each task, so the answers can be told apart.
  const label = (result: DelegatedResult) => (result.task && repeated(result.agent) ? ` (${result.task})` : "");
  const sections = results.map((result) => `**${result.agent}**${label(result)}${result.failed ? " (failed)" : ""}: ${result.text}`);
  const lead = results.every((result) => result.failed) ? "The team could not finish this:" : "Here is what the team found:";
  const quoted = leftOver.map((text) => `"${text}"`);
  const untaken = quoted.length > 0 ? [`Nobody on the team took ${listOf(quoted)}, and as Switchboard's offline model I can't answer that myself.`] : [];
  return [lead, ...sections, ...untaken].join("\n\n");
}

// ——— specialist ———

function specialistDecision(conversation: Conversation, tools: FunctionTool[], callable: FunctionTool[]): Decision {
  if (conversation.results.length > 0) return afterToolResults(conversation, callable);
  if (conversation.callsSinceTask.length === 0) {
    const call = chooseToolCall(conversation, callable);
    if (call) return { kind: "call", calls: [call] };
  }
  return { kind: "answer", content: directAnswer(conversation, tools) };
}

/**
 * The best tool for the task among those whose required arguments the task supplies: text match of
 * the task against the tool's name, description and parameters, plus how well the arguments were
 * found. With no evidence for any tool, a search tool still fits a question: looking it up is safe.
 */
function chooseToolCall(conversation: Conversation, tools: FunctionTool[]): PlannedCall | undefined {
  if (conversation.task === "" || tools.length === 0) return undefined;
  const texts = tools.map(toolText);
  const matcher = new TextMatcher(tools.map((tool, index) => ({ id: tool.name, text: texts[index] ?? "" })));
  // The request, not the material it carries, says which tool fits.
  const scores = new Map(matcher.rank(splitPayload(conversation.task).head).map((ranking) => [ranking.id, ranking.score]));
  let best: { call: PlannedCall; fit: number } | undefined;
  let search: PlannedCall | undefined;
  tools.forEach((tool, index) => {
    const filled = fillArguments(conversation.task, tool.parameters, tool.name, "first");
    if (!filled) return;
    const call = { name: tool.name, args: filled.args };
    const mentioned = new RegExp(`\\b${tool.name}\\b`).test(conversation.instructions) ? MENTIONED_TOOL_BONUS : 0;
    const fit = (scores.get(tool.name) ?? 0) + filled.evidence + mentioned;
    if (fit > 0 && fit > (best?.fit ?? 0)) best = { call, fit };
    if (!search && filled.kinds.includes("query")) search = call;
  });
  return best?.call ?? search;
}

function toolText(tool: FunctionTool): string {
  const properties = asRecord(tool.parameters?.properties) ?? {};
  const parameterText = Object.entries(properties).map(([name, schema]) => {
    const description = asRecord(schema)?.description;
    return `${name.replace(/_/g, " ")} ${typeof description === "string" ? description : ""}`;
  });
  return [tool.name.replace(/_/g, " "), tool.description, ...parameterText].join(" ");
}

/** Answer from the tool results, or, after an error that a different reading may fix, retry once. */
function afterToolResults(conversation: Conversation, tools: FunctionTool[]): Decision {
  const outcomes = conversation.results.map((result) => ({
    call: conversation.callsSinceTask.find((call) => call.id === result.callId),
    outcome: readToolOutcome(result.content),
  }));
  const last = outcomes.at(-1);
  const callsLeft = conversation.callsSinceTask.length < MAX_TOOL_CALLS_PER_TASK;
  if (last?.outcome.kind === "error" && last.call && callsLeft) {
    const retry = retryCall(conversation.task, tools, last.call);
    if (retry) return { kind: "call", calls: [retry] };
  }
  const retried = conversation.callsSinceTask.length >= MAX_TOOL_CALLS_PER_TASK;
  const answers = outcomes.map(({ call, outcome }) => answerFromOutcome(outcome, call?.name ?? "the tool", retried));
  return { kind: "answer", content: answers.join("\n\n") };
}

function retryCall(task: string, tools: FunctionTool[], failed: PastCall): PlannedCall | undefined {
  const tool = tools.find((candidate) => candidate.name === failed.name);
  if (!tool) return undefined;
  const filled = fillArguments(task, tool.parameters, tool.name, "retry");
  if (!filled || JSON.stringify(filled.args) === normalizedJson(failed.arguments)) return undefined;
  return { name: tool.name, args: filled.args };
}

function normalizedJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

function answerFromOutcome(outcome: ToolOutcome, toolName: string, retried: boolean): string {
  switch (outcome.kind) {
    case "answer":
      return outcome.text;
    case "data":
      return `Here is what ${toolName} returned:\n\n${outcome.text}`;
    case "delegations":
      return synthesize(outcome.results, []);
    case "error":
      return `I couldn't complete that: ${toolName} reported an error${retried ? " (also on a second try with different arguments)" : ""}: ${outcome.message}`;
  }
}

/** No tool fits: a writer drafts from the request's words; anyone else says what it could not do. */
function directAnswer(conversation: Conversation, tools: FunctionTool[]): string {
  const { task, instructions } = conversation;
  if (task === "") return `${OFFLINE_INTRO}. There is no user message to answer yet.`;
  const writing = writingKind(task);
  const ownTools = tools.filter((tool) => !isHandoffTool(tool));
  // An agent with no tools of its own can only answer in words: a writing request gets a draft.
  if (writing && (ownTools.length === 0 || instructions.trim() === "" || /\b(?:writ|draft|edit|rewrit|summar|copy|prose|tone|wording|compos)/i.test(instructions))) {
    return writeDirectly(task, writing);
  }
  if (keywords(task).length === 0) return `${smallTalkOpener(task)}${OFFLINE_INTRO}. Tell me what you need.${roleNote(instructions)}`;
  const names = ownTools.map((tool) => tool.name);
  const limits =
    names.length > 0
      ? `so I can only act through my tools (${names.join(", ")}), and none of them fits "${task}"`
      : `and without a tool I can't answer "${task}" myself`;
  return `${OFFLINE_INTRO}, ${limits}.${roleNote(instructions)}`;
}

/** The agent's role in the first person: "You are the calculator." → " I am the calculator." */
function roleNote(instructions: string): string {
  const role = summaryOf(instructions);
  if (role === "") return "";
  const ended = /[.!?…]$/.test(role) ? role : `${role}.`;
  if (/^you are\b/i.test(ended)) return ` ${ended.replace(/^you are\b/i, "I am")}`;
  if (/^you\b/i.test(ended)) return ` ${ended.replace(/^you\b/i, "I")}`;
  return ` My instructions: ${ended}`;
}

/** Nothing to act on: answer thanks and greetings in kind. */
function smallTalkOpener(text: string): string {
  if (/\bthank|\bthx\b|\bcheers\b/i.test(text)) return "You're welcome! ";
  if (/\b(?:hi|hello|hey|good (?:morning|afternoon|evening))\b/i.test(text)) return "Hello! ";
  return "";
}

/** The first sentence of a description or instructions, clipped. */
function summaryOf(text: string): string {
  const first = text.trim().split(/(?<=[.!?])\s|\n/)[0]?.trim() ?? "";
  return first.length > MAX_SUMMARY_CHARS ? `${first.slice(0, MAX_SUMMARY_CHARS - 1)}…` : first;
}

function listOf(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1) ?? ""}`;
}

// ——— the reply ———

function toReply(request: ChatCompletionCreateParams, decision: Decision): OfflineReply {
  const promptTokens = estimateTokens(JSON.stringify({ messages: request.messages, tools: request.tools ?? [] }));
  if (decision.kind === "answer") {
    const completionTokens = estimateTokens(decision.content);
    return { content: decision.content, toolCalls: [], usage: usage(promptTokens, completionTokens) };
  }
  const seed = requestHash(request);
  const toolCalls = decision.calls.map((call, index) => ({
    id: `call_${sha256(`${seed}:${index}`).slice(0, 24)}`,
    name: call.name,
    arguments: JSON.stringify(call.args),
  }));
  return { content: null, toolCalls, usage: usage(promptTokens, estimateTokens(JSON.stringify(toolCalls))) };
}

/** About four characters a token, at least one: a stable estimate, not a tokenizer. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function usage(prompt: number, completion: number): OfflineUsage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Same request, same ids: tool call ids derive from what was asked. */
export function requestHash(request: ChatCompletionCreateParams): string {
  return sha256(JSON.stringify([request.model, request.messages, request.tools ?? null]));
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
