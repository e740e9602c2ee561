import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from "openai/resources/chat/completions";
import { DELEGATE_TOOL, TRANSFER_TOOL } from "../../handoff-tools.js";
import { asRecord, type JsonSchema } from "./json-schema.js";

/** One turn of the offline model: the request as it reads it, and what it decides to do. */

export interface FunctionTool {
  name: string;
  description: string;
  parameters: JsonSchema | undefined;
}

export interface PastCall {
  id: string;
  name: string;
  arguments: string;
}

export interface Conversation {
  /** System and developer messages: the agent's instructions. */
  instructions: string;
  /** The newest user message: what this turn is about. */
  task: string;
  /** Tool calls the assistant made since that message. */
  callsSinceTask: PastCall[];
  /** Tool results the conversation ends with, answering the latest calls. */
  results: { callId: string; content: string }[];
}

export interface PlannedCall {
  name: string;
  args: Record<string, unknown>;
}

export type Decision = { kind: "answer"; content: string } | { kind: "call"; calls: PlannedCall[] };

export function isHandoffName(name: string): boolean {
  return name === TRANSFER_TOOL || name === DELEGATE_TOOL;
}

export function isHandoffTool(tool: FunctionTool): boolean {
  return isHandoffName(tool.name);
}

export function functionTools(tools: readonly ChatCompletionTool[] | undefined): FunctionTool[] {
  return (tools ?? []).flatMap((tool) =>
    tool.type === "function"
      ? [{ name: tool.function.name, description: tool.function.description ?? "", parameters: tool.function.parameters }]
      : [],
  );
}

/** `tool_choice: "none"` forbids calls; a named function allows only that one. */
export function callableTools(tools: FunctionTool[], choice: ChatCompletionToolChoiceOption | undefined): FunctionTool[] {
  if (choice === "none") return [];
  if (typeof choice === "object" && choice.type === "function") return tools.filter((tool) => tool.name === choice.function.name);
  return tools;
}

export function readConversation(messages: readonly ChatCompletionMessageParam[]): Conversation {
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
