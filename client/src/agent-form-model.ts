/**
 * The agent form without React: what the form holds, how it becomes the definition the API takes
 * (and back), which choices its checkbox groups offer, and how the server's refusals become
 * problems a person can read, each pinned to the field it names when the message says which.
 */
import { MANAGER } from "../../shared/agent-name.js";
import { EVERY_AGENT, type AgentSpecInput } from "../../shared/agent-spec.js";
import type { AgentSummary, FailureCode, ToolInfo } from "./api.js";

export type AgentField = "name" | "description" | "instructions" | "model" | "temperature" | "maxTokens" | "tools" | "handoffs" | "enabled";

export const AGENT_FIELDS: readonly AgentField[] = ["name", "description", "instructions", "model", "temperature", "maxTokens", "tools", "handoffs", "enabled"];

/** How the form labels each field; problems are written with these words, not the API's keys. */
export const FIELD_LABELS: Readonly<Record<AgentField, string>> = {
  name: "Name",
  description: "Description",
  instructions: "Instructions",
  model: "Model",
  temperature: "Temperature",
  maxTokens: "Most tokens per answer",
  tools: "Tools",
  handoffs: "Hands off to",
  enabled: "Enabled",
};

/** What the form holds: text as typed, lists of picked names. */
export interface AgentForm {
  name: string;
  description: string;
  instructions: string;
  model: string;
  /** As typed; blank for the model's own default. */
  temperature: string;
  /** As typed; blank for no cap. */
  maxTokens: string;
  tools: string[];
  handoffs: string[];
  enabled: boolean;
}

export function emptyAgentForm(): AgentForm {
  return { name: "", description: "", instructions: "", model: "", temperature: "", maxTokens: "", tools: [], handoffs: [], enabled: true };
}

/**
 * The model most of the team runs on, the manager's breaking a tie: the best guess at the server's
 * default, since GET /api/agents fills an agent's model in with it and does not say which are.
 */
export function defaultModelOf(agents: readonly AgentSummary[]): string | undefined {
  const counts = new Map<string, number>();
  for (const agent of agents) if (agent.model !== "") counts.set(agent.model, (counts.get(agent.model) ?? 0) + 1);
  const most = Math.max(0, ...counts.values());
  if (most === 0) return undefined;
  const tied = [...counts].filter(([, count]) => count === most).map(([model]) => model);
  const manager = agents.find((agent) => agent.name === MANAGER)?.model;
  return manager !== undefined && tied.includes(manager) ? manager : tied[0];
}

/**
 * An existing agent in the form. A model equal to the default is shown as blank ("the default"),
 * so saving does not pin the agent to today's default when the setting changes later.
 */
export function agentFormFrom(agent: AgentSummary, defaultModel: string | undefined): AgentForm {
  return {
    name: agent.name,
    description: agent.description,
    instructions: agent.instructions ?? "",
    model: defaultModel !== undefined && agent.model === defaultModel ? "" : agent.model,
    temperature: agent.temperature === undefined ? "" : String(agent.temperature),
    maxTokens: agent.maxTokens === undefined ? "" : String(agent.maxTokens),
    tools: [...agent.tools],
    handoffs: [...agent.handoffs],
    enabled: agent.enabled !== false,
  };
}

/**
 * A number field as the API takes it: blank is absent; anything else is sent as a number, or as
 * the text typed when it is not one, so the server's refusal names the field.
 */
function numberField(typed: string): number | string | undefined {
  const text = typed.trim();
  if (text === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

/** The whole definition for POST or PUT: the model and settings only when typed; "*" alone when picked, it covers the rest. */
export function specFromForm(form: AgentForm): AgentSpecInput {
  const model = form.model.trim();
  const temperature = numberField(form.temperature);
  const maxTokens = numberField(form.maxTokens);
  return {
    name: form.name.trim(),
    description: form.description.trim(),
    instructions: form.instructions.trim(),
    ...(model === "" ? {} : { model }),
    // A number the user typed wrong goes as typed: the server says what is wrong with it.
    ...(temperature === undefined ? {} : { temperature: temperature as number }),
    ...(maxTokens === undefined ? {} : { maxTokens: maxTokens as number }),
    tools: [...new Set(form.tools)],
    handoffs: form.handoffs.includes(EVERY_AGENT) ? [EVERY_AGENT] : [...new Set(form.handoffs)],
    enabled: form.enabled,
  };
}

/** An existing agent's definition as it stands, e.g. to send back with only `enabled` changed. */
export function specFromAgent(agent: AgentSummary, defaultModel: string | undefined): AgentSpecInput {
  return specFromForm(agentFormFrom(agent, defaultModel));
}

export function sameForm(a: AgentForm, b: AgentForm): boolean {
  const sameList = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((item) => y.includes(item));
  return (
    a.name === b.name &&
    a.description === b.description &&
    a.instructions === b.instructions &&
    a.model === b.model &&
    a.temperature.trim() === b.temperature.trim() &&
    a.maxTokens.trim() === b.maxTokens.trim() &&
    a.enabled === b.enabled &&
    sameList(a.tools, b.tools) &&
    sameList(a.handoffs, b.handoffs)
  );
}

/** A checkbox list after one box changed, keeping the order the boxes were ticked in. */
export function withChoice(list: readonly string[], item: string, checked: boolean): string[] {
  if (checked) return list.includes(item) ? [...list] : [...list, item];
  return list.filter((entry) => entry !== item);
}

export interface Choice {
  name: string;
  /** Tools: the tool's description; agents: a note such as "disabled". */
  note: string;
  /** Offered now (false: only named by the definition, e.g. an agent deleted since). */
  known: boolean;
}

/** The agents this one may hand to: the team but itself, plus any target the definition names that is gone. */
export function handoffChoices(team: readonly AgentSummary[], self: string | undefined, selected: readonly string[]): Choice[] {
  const choices: Choice[] = team
    .filter((agent) => agent.name !== self)
    .map((agent) => ({ name: agent.name, note: agent.enabled === false ? "disabled" : "", known: true }));
  for (const name of selected) {
    if (name !== EVERY_AGENT && !choices.some((choice) => choice.name === name)) choices.push({ name, note: "not in the team", known: false });
  }
  return choices;
}

/**
 * The tools on offer, each MCP server's after the choice of all of its tools (`<server>_*`), plus
 * any the definition names that no agents process offers any more.
 */
export function toolChoices(tools: readonly ToolInfo[], selected: readonly string[], mcpServers: readonly string[] = []): Choice[] {
  const choices: Choice[] = [];
  const offered = new Set<string>();
  for (const tool of tools) {
    const server = mcpServers.find((name) => tool.name.startsWith(`${name}_`));
    if (server !== undefined && !offered.has(server)) {
      offered.add(server);
      choices.push(allToolsOf(server));
    }
    choices.push({ name: tool.name, note: tool.description, known: true });
  }
  for (const server of mcpServers) if (!offered.has(server)) choices.push(allToolsOf(server));
  for (const name of selected) {
    if (!choices.some((choice) => choice.name === name)) choices.push({ name, note: "No agents process offers this tool now.", known: false });
  }
  return choices;
}

const allToolsOf = (server: string): Choice => ({ name: `${server}_*`, note: `Every tool of the MCP server ${server}, as it offers them now and later.`, known: true });

/** One thing wrong with the form, in plain words; `field` when the message names one. */
export interface FormProblem {
  field: AgentField | undefined;
  message: string;
}

const fieldOf = (path: string): AgentField | undefined => {
  const head = path.split(/[.[]/)[0] ?? "";
  return (AGENT_FIELDS as readonly string[]).includes(head) ? (head as AgentField) : undefined;
};

/** Zod's stock wording ("Too small: expected string to have >=1 characters") said the way a person would. */
function plainWords(message: string): string {
  const tooBig = /^Too big: expected (string|array) to have <=(\d+) (?:characters|items)$/.exec(message);
  if (tooBig) return `at most ${Number(tooBig[2]).toLocaleString("en-US")} ${tooBig[1] === "string" ? "characters" : "entries"}`;
  const tooSmall = /^Too small: expected (string|array) to have >=(\d+) (?:characters|items)$/.exec(message);
  if (tooSmall) return Number(tooSmall[2]) === 1 ? "must not be empty" : `at least ${tooSmall[2]} ${tooSmall[1] === "string" ? "characters" : "entries"}`;
  return message;
}

/**
 * The server's 400 message as problems. It comes in two shapes, one issue after another:
 * zod's pretty print (`✖ reason` then `  → at tools[0]`) for the schema, and `tools.0: reason`
 * lines for names that do not exist.
 */
export function problemsFromMessage(message: string): FormProblem[] {
  const problems: FormProblem[] = [];
  for (const raw of message.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const at = /^→ at (.+)$/.exec(line);
    const last = problems.at(-1);
    if (at) {
      if (last !== undefined && last.field === undefined) last.field = fieldOf(at[1] ?? "");
      continue;
    }
    const issue = /^✖\s*(.*)$/.exec(line);
    if (issue) {
      problems.push({ field: undefined, message: plainWords(issue[1] ?? "") });
      continue;
    }
    const reference = /^([a-z]+)(?:\.\d+)?: (.+)$/.exec(line);
    const field = reference ? fieldOf(reference[1] ?? "") : undefined;
    if (reference && field !== undefined) problems.push({ field, message: reference[2] ?? "" });
    else problems.push({ field: undefined, message: line });
  }
  return problems;
}

/** A refused save as problems: the status says what kind, the message says what exactly. */
export function problemsFromError(error: { status: number; code: FailureCode; message: string }): FormProblem[] {
  if (error.code === "agent_exists" || error.status === 409) {
    const name = /named "([^"]+)"/.exec(error.message)?.[1];
    return [{ field: "name", message: `${name === undefined ? "That name" : `"${name}"`} is taken by another agent: pick another name, or edit that agent instead.` }];
  }
  if (error.code === "protected") return [{ field: "enabled", message: error.message }];
  if (error.code === "unknown_agent") return [{ field: undefined, message: `${error.message} It may have been deleted meanwhile; reload the list.` }];
  if (error.status === 400) {
    const problems = problemsFromMessage(error.message);
    if (problems.length > 0) return problems;
  }
  return [{ field: undefined, message: error.message }];
}

/** The problems of each field, for the message under it. */
export function problemsByField(problems: readonly FormProblem[]): ReadonlyMap<AgentField, string[]> {
  const byField = new Map<AgentField, string[]>();
  for (const problem of problems) {
    if (problem.field !== undefined) byField.set(problem.field, [...(byField.get(problem.field) ?? []), problem.message]);
  }
  return byField;
}

/** A problem as one sentence for the summary: "Description: say in at least 10 characters …". */
export function describeProblem(problem: FormProblem): string {
  return problem.field === undefined ? problem.message : `${FIELD_LABELS[problem.field]}: ${problem.message}`;
}
