import { keywords } from "../../text/terms.js";
import { RelevanceIndex } from "../../text/relevance.js";
import { asRecord } from "./json-schema.js";
import { splitPayload } from "./request-parts.js";
import { synthesize } from "./synthesis.js";
import { fillArguments } from "./tool-arguments.js";
import { translationAnswer } from "./translation.js";
import { readToolOutcome, type ToolOutcome } from "./tool-results.js";
import { isHandoffTool, type Conversation, type Decision, type FunctionTool, type PastCall, type PlannedCall } from "./turn.js";
import { OFFLINE_INTRO, smallTalkOpener, summaryOf } from "./voice.js";
import { answerFromWorkflow, isWorkflowTool } from "./workflow-tools.js";
import { writeDirectly, writingKind } from "./writing.js";

/**
 * A specialist picks the tool that fits the task, fills its arguments from the task, and answers
 * from the tool's result; with no tool that fits, a writer drafts and anyone else says what it
 * could not do.
 */

/** A specialist never calls tools more than this many times for one user message. */
const MAX_TOOL_CALLS_PER_TASK = 2;
/** Calling a tool the instructions name is slightly more likely: the agent was told to use it. */
const MENTIONED_TOOL_BONUS = 0.25;

export function specialistDecision(conversation: Conversation, tools: FunctionTool[], callable: FunctionTool[]): Decision {
  if (conversation.results.length > 0) return afterToolResults(conversation, callable);
  if (conversation.callsSinceTask.length === 0) {
    const call = chooseToolCall(conversation, callable);
    if (call) return { kind: "call", calls: [call] };
  }
  return { kind: "answer", content: directAnswer(conversation, tools) };
}

/**
 * The best tool for the task among those whose required arguments the task supplies: relevance of
 * the task to the tool's name, description and parameters, plus how well the arguments were found.
 * With no evidence for any tool, a search tool still fits a question: looking it up is safe.
 */
function chooseToolCall(conversation: Conversation, tools: FunctionTool[]): PlannedCall | undefined {
  if (conversation.task === "" || tools.length === 0) return undefined;
  const index = RelevanceIndex.of(tools.map((tool) => ({ id: tool.name, text: toolText(tool) })));
  // The request, not the material it carries, says which tool fits.
  const scores = new Map(index.rank(splitPayload(conversation.task).head).map((ranking) => [ranking.id, ranking.score]));
  let best: { call: PlannedCall; fit: number } | undefined;
  let search: PlannedCall | undefined;
  for (const tool of tools) {
    const filled = fillArguments(conversation.task, tool.parameters, tool.name, isWorkflowTool(tool.name) ? "extract" : "first");
    if (!filled) continue;
    const call = { name: tool.name, args: filled.args };
    const mentioned = new RegExp(`\\b${tool.name}\\b`).test(conversation.instructions) ? MENTIONED_TOOL_BONUS : 0;
    const fit = (scores.get(tool.name) ?? 0) + filled.evidence + mentioned;
    if (fit > 0 && fit > (best?.fit ?? 0)) best = { call, fit };
    if (!search && filled.kinds.includes("query")) search = call;
  }
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
export function afterToolResults(conversation: Conversation, tools: FunctionTool[]): Decision {
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
  if (isWorkflowTool(toolName)) return answerFromWorkflow(toolName, outcome);
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
  // It cannot translate, but it can say so and give the text back, as a translation step expects.
  const translation = translationAnswer(instructions, task);
  if (translation !== undefined) return translation;
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
