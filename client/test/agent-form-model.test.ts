import { describe, expect, it } from "vitest";
import { AgentSpecInput } from "../../shared/agent-spec.js";
import {
  agentFormFrom,
  defaultModelOf,
  describeProblem,
  emptyAgentForm,
  handoffChoices,
  problemsByField,
  problemsFromError,
  problemsFromMessage,
  sameForm,
  specFromAgent,
  specFromForm,
  toolChoices,
  withChoice,
} from "../src/agent-form-model.js";
import type { AgentSummary } from "../src/api.js";

const agent = (name: string, extra: Partial<AgentSummary> = {}): AgentSummary => ({
  name,
  description: `The ${name}, which does ${name} things.`,
  instructions: `You are the ${name}.`,
  model: "offline",
  tools: [],
  handoffs: [],
  enabled: true,
  ...extra,
});

const team = [agent("manager", { handoffs: ["*"] }), agent("calculator", { tools: ["calculate"] }), agent("writer", { enabled: false })];

describe("the form and the definition", () => {
  it("turns what was typed into the whole definition the API takes", () => {
    const form = {
      ...emptyAgentForm(),
      name: " poet ",
      description: "Writes haiku poems and short verses about any topic. ",
      instructions: "\nAnswer with a haiku.\n",
    };
    const spec = specFromForm(form);
    expect(spec).toEqual({
      name: "poet",
      description: "Writes haiku poems and short verses about any topic.",
      instructions: "Answer with a haiku.",
      tools: [],
      handoffs: [],
      enabled: true,
    });
    // Exactly what the server's schema accepts, nothing it would call an unknown key.
    expect(AgentSpecInput.safeParse(spec).success).toBe(true);
    expect("model" in spec).toBe(false);
  });

  it("sends a model only when one is typed, and '*' alone when every agent is picked", () => {
    const spec = specFromForm({ ...emptyAgentForm(), name: "poet", model: " gpt-4o-mini ", handoffs: ["calculator", "*", "writer"], tools: ["a", "a"] });
    expect(spec.model).toBe("gpt-4o-mini");
    expect(spec.handoffs).toEqual(["*"]);
    expect(spec.tools).toEqual(["a"]);
  });

  it("sends the model settings as numbers when typed, nothing when blank, and what was typed when it is not a number", () => {
    expect(specFromForm({ ...emptyAgentForm(), name: "poet", temperature: " 0.7 ", maxTokens: "500" })).toMatchObject({ temperature: 0.7, maxTokens: 500 });
    const blank = specFromForm({ ...emptyAgentForm(), name: "poet", temperature: " ", maxTokens: "" });
    expect(blank).not.toHaveProperty("temperature");
    expect(blank).not.toHaveProperty("maxTokens");
    // The server's refusal names the field; the form does not guess.
    expect(specFromForm({ ...emptyAgentForm(), name: "poet", temperature: "warm" })).toMatchObject({ temperature: "warm" });
    expect(problemsFromMessage("✖ Invalid input: expected number, received string\n  → at temperature")).toEqual([{ field: "temperature", message: "Invalid input: expected number, received string" }]);
  });

  it("fills the form from an agent, leaving a default model blank so saving does not pin it", () => {
    const poet = agent("poet", { tools: ["text_stats"], handoffs: ["writer"], enabled: false });
    expect(agentFormFrom(poet, "offline")).toEqual({
      name: "poet",
      description: poet.description,
      instructions: "You are the poet.",
      model: "",
      temperature: "",
      maxTokens: "",
      tools: ["text_stats"],
      handoffs: ["writer"],
      enabled: false,
    });
    expect(agentFormFrom(agent("poet", { temperature: 0.3, maxTokens: 400 }), "offline")).toMatchObject({ temperature: "0.3", maxTokens: "400" });
    expect(agentFormFrom(agent("poet", { model: "gpt-4o" }), "offline").model).toBe("gpt-4o");
    expect(agentFormFrom(agent("poet", { instructions: undefined, enabled: undefined }), undefined)).toMatchObject({ instructions: "", model: "offline", enabled: true });
  });

  it("sends an agent back unchanged but for what is toggled", () => {
    const poet = agent("poet", { model: "gpt-4o", tools: ["text_stats"] });
    expect({ ...specFromAgent(poet, "offline"), enabled: false }).toEqual({
      name: "poet",
      description: poet.description,
      instructions: "You are the poet.",
      model: "gpt-4o",
      tools: ["text_stats"],
      handoffs: [],
      enabled: false,
    });
  });

  it("guesses the default model from the team, the manager breaking ties", () => {
    expect(defaultModelOf(team)).toBe("offline");
    expect(defaultModelOf([agent("manager", { model: "b" }), agent("x", { model: "a" }), agent("y", { model: "b" }), agent("z", { model: "a" })])).toBe("b");
    expect(defaultModelOf([agent("x", { model: "a" }), agent("y", { model: "c" }), agent("z", { model: "c" })])).toBe("c");
    expect(defaultModelOf([])).toBeUndefined();
    expect(defaultModelOf([agent("x", { model: "" })])).toBeUndefined();
  });

  it("knows an untouched form from a changed one, whatever order boxes were ticked in", () => {
    const form = { ...emptyAgentForm(), tools: ["a", "b"] };
    expect(sameForm(form, { ...form, tools: ["b", "a"] })).toBe(true);
    expect(sameForm(form, { ...form, description: "x" })).toBe(false);
    expect(sameForm(form, { ...form, tools: ["a"] })).toBe(false);
    expect(sameForm(form, { ...form, enabled: false })).toBe(false);
    expect(sameForm(form, { ...form, temperature: "1" })).toBe(false);
    expect(sameForm({ ...form, maxTokens: "10" }, { ...form, maxTokens: " 10 " })).toBe(true);
  });

  it("ticks and unticks a box without repeats", () => {
    expect(withChoice(["a"], "b", true)).toEqual(["a", "b"]);
    expect(withChoice(["a", "b"], "b", true)).toEqual(["a", "b"]);
    expect(withChoice(["a", "b"], "a", false)).toEqual(["b"]);
  });
});

describe("the checkbox choices", () => {
  it("offers every other agent as a handoff target, and keeps a target that has left the team", () => {
    expect(handoffChoices(team, "calculator", ["ghost", "*"])).toEqual([
      { name: "manager", note: "", known: true },
      { name: "writer", note: "disabled", known: true },
      { name: "ghost", note: "not in the team", known: false },
    ]);
    expect(handoffChoices(team, undefined, []).map((choice) => choice.name)).toEqual(["manager", "calculator", "writer"]);
  });

  it("offers the registry's tools with their descriptions, and keeps a tool no process offers", () => {
    const tools = [{ name: "calculate", description: "Does arithmetic." }];
    expect(toolChoices(tools, ["teleport"])).toEqual([
      { name: "calculate", note: "Does arithmetic.", known: true },
      { name: "teleport", note: "No agents process offers this tool now.", known: false },
    ]);
  });

  it("offers all of an MCP server's tools at once, before its tools, and for a server with none yet", () => {
    const tools = [
      { name: "calculate", description: "Does arithmetic." },
      { name: "everything_echo", description: "Echoes." },
      { name: "everything_add", description: "Adds." },
    ];
    expect(toolChoices(tools, ["docs_*"], ["everything", "docs"]).map((choice) => [choice.name, choice.known])).toEqual([
      ["calculate", true],
      ["everything_*", true],
      ["everything_echo", true],
      ["everything_add", true],
      ["docs_*", true],
    ]);
    expect(toolChoices(tools, [], ["everything"])[1]?.note).toBe("Every tool of the MCP server everything, as it offers them now and later.");
  });
});

describe("the server's refusals", () => {
  it("reads zod's pretty print, one problem per issue, pinned to the field at its path", () => {
    const message = [
      '✖ Unrecognized key: "extra"',
      "✖ 2–32 characters: lowercase letters, digits or '-', starting with a letter",
      "  → at name",
      "✖ say in at least 10 characters what the agent does",
      "  → at description",
      "✖ 2–64 characters: lowercase letters, digits or '_'",
      "  → at tools[0]",
      "✖ Too big: expected string to have <=8000 characters",
      "  → at instructions",
      "✖ Too small: expected string to have >=1 characters",
      "  → at model",
    ].join("\n");
    expect(problemsFromMessage(message)).toEqual([
      { field: undefined, message: 'Unrecognized key: "extra"' },
      { field: "name", message: "2–32 characters: lowercase letters, digits or '-', starting with a letter" },
      { field: "description", message: "say in at least 10 characters what the agent does" },
      { field: "tools", message: "2–64 characters: lowercase letters, digits or '_'" },
      { field: "instructions", message: "at most 8,000 characters" },
      { field: "model", message: "must not be empty" },
    ]);
  });

  it("reads the reference problems, one per line", () => {
    const message = [
      'tools.0: no tool named "teleport" (known: calculate, text_stats)',
      'handoffs.1: no agent named "ghost" in the team',
      "handoffs.0: an agent cannot hand off to itself",
      "name: an agent cannot be renamed; create a new one instead.",
    ].join("\n");
    expect(problemsFromMessage(message)).toEqual([
      { field: "tools", message: 'no tool named "teleport" (known: calculate, text_stats)' },
      { field: "handoffs", message: 'no agent named "ghost" in the team' },
      { field: "handoffs", message: "an agent cannot hand off to itself" },
      { field: "name", message: "an agent cannot be renamed; create a new one instead." },
    ]);
  });

  it("keeps a line it cannot place as a problem of the whole form", () => {
    expect(problemsFromMessage("Something else went wrong.\n\n")).toEqual([{ field: undefined, message: "Something else went wrong." }]);
  });

  it("says a taken name in plain words, on the name field", () => {
    const [problem] = problemsFromError({
      status: 409,
      code: "agent_exists",
      message: 'An agent named "writer" already exists; use PUT /api/agents/writer to change it.',
    });
    expect(problem?.field).toBe("name");
    expect(problem?.message).toMatch(/^"writer" is taken by another agent/);
    expect(problem?.message).not.toMatch(/PUT/);
  });

  it("passes other refusals on in the server's words", () => {
    expect(problemsFromError({ status: 403, code: "forbidden", message: "Only the admin token may change the team." })).toEqual([
      { field: undefined, message: "Only the admin token may change the team." },
    ]);
    expect(problemsFromError({ status: 403, code: "protected", message: "The manager cannot be disabled." })[0]?.field).toBe("enabled");
    expect(problemsFromError({ status: 404, code: "unknown_agent", message: 'No agent named "poet".' })[0]?.message).toMatch(/deleted meanwhile/);
    expect(problemsFromError({ status: 0, code: "network", message: "Could not reach the Switchboard server." })).toEqual([
      { field: undefined, message: "Could not reach the Switchboard server." },
    ]);
    expect(problemsFromError({ status: 400, code: "invalid_agent", message: "✖ say in at least 10 characters what the agent does\n  → at description" })).toEqual([
      { field: "description", message: "say in at least 10 characters what the agent does" },
    ]);
  });

  it("groups problems by field and writes each with the form's own label", () => {
    const problems = [
      { field: "handoffs" as const, message: "a" },
      { field: "handoffs" as const, message: "b" },
      { field: undefined, message: "c" },
    ];
    expect(problemsByField(problems)).toEqual(new Map([["handoffs", ["a", "b"]]]));
    expect(problems.map(describeProblem)).toEqual(["Hands off to: a", "Hands off to: b", "c"]);
  });
});
