import OpenAI, { APIError, APIUserAbortError, BadRequestError, NotFoundError } from "openai";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTool, type AnyTool } from "../agents/define-tool.js";
import {
  DELEGATE_DESCRIPTION,
  TRANSFER_DESCRIPTION,
  delegateParameters,
  transferParameters,
  type HandoffCandidate,
} from "../agents/handoff-tools.js";
import { createOfflineFetch } from "../agents/model/offline/offline-fetch.js";
import { splitRequest } from "../agents/model/offline/request-parts.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chat-completions-server.js";

// ——— a team, as the agent runtime would describe it ———

const team: HandoffCandidate[] = [
  {
    name: "calculator",
    description:
      "Does exact arithmetic and unit conversions: percentages, powers, roots, and converting between units such as km, miles, kg and pounds.",
  },
  {
    name: "researcher",
    description:
      "Answers questions about how Switchboard works by searching its documentation: agents, handoffs, durability, queues and streaming.",
  },
  {
    name: "writer",
    description: "Writes and rewrites text: drafts, summaries, announcements, and making a message more formal or concise.",
  },
];

function jsonSchema(parameters: z.ZodObject): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(parameters, { io: "input" }) as Record<string, unknown>;
  return schema;
}

const handoffTools: ChatCompletionTool[] = [
  { type: "function", function: { name: "transfer", description: TRANSFER_DESCRIPTION, parameters: jsonSchema(transferParameters(team)) } },
  { type: "function", function: { name: "delegate", description: DELEGATE_DESCRIPTION, parameters: jsonSchema(delegateParameters(team)) } },
];

const calculate = defineTool({
  name: "calculate",
  description: "Exact arithmetic, percentages and unit conversion. Use it for any sum, percentage or conversion.",
  parameters: z.object({
    expression: z.string().min(1).describe("an arithmetic expression or unit conversion, e.g. '17.5% of 2,480' or '5 miles to km'"),
  }),
  execute: () => ({ answer: "unused" }),
});
const searchDocs = defineTool({
  name: "search_docs",
  description: "Search Switchboard's documentation and return the best matching passages.",
  parameters: z.object({ query: z.string().min(1).describe("Keywords to search for") }),
  execute: () => ({ results: [] }),
});
const shorten = defineTool({
  name: "shorten",
  description: "Shortens a text to a number of words in a given tone.",
  parameters: z.object({
    text: z.string().describe("The text to shorten"),
    max_words: z.number().int().min(1).max(500).describe("Upper limit of words"),
    tone: z.enum(["neutral", "formal", "casual"]).default("neutral").describe("Tone of the result"),
  }),
  execute: () => ({ answer: "unused" }),
});

const textTool = (name: string, description: string, extra: z.ZodRawShape = {}) =>
  defineTool({
    name,
    description,
    parameters: z.object({ text: z.string().describe("the text to work on"), ...extra }),
    execute: () => ({ answer: "unused" }),
  });
const writerTools = [
  textTool("summarize_text", "Extractive summary of a text: picks its most representative sentences, word for word.", {
    sentences: z.number().int().min(1).max(10).default(3).describe("how many sentences the summary keeps"),
  }),
  textTool("rewrite_text", "Rewrites a text: as bullet points, shorter, formal or in title case.", {
    style: z.enum(["bullets", "shorter", "formal", "title"]).default("bullets").describe("how to rewrite the text"),
  }),
  textTool("text_stats", "Counts the words and sentences of a text and estimates its reading time."),
];

function toolSchemas(tools: AnyTool[]): ChatCompletionTool[] {
  return tools.map((tool) => ({
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: tool.jsonSchema },
  }));
}

const OFFLINE_BASE_URL = "http://offline.switchboard/v1";

function offlineClient(delayMs = 0): OpenAI {
  return new OpenAI({ apiKey: "offline", baseURL: OFFLINE_BASE_URL, fetch: createOfflineFetch({ delayMs }), maxRetries: 0 });
}

const managerInstructions = "You are the manager. Route each request to the agent that fits, or answer yourself.";

async function complete(messages: ChatCompletionMessageParam[], tools: ChatCompletionTool[] = []): Promise<ChatCompletion> {
  return offlineClient().chat.completions.create({ model: "offline", messages, ...(tools.length > 0 ? { tools } : {}) });
}

async function askManager(text: string): Promise<ChatCompletion> {
  return complete([{ role: "system", content: managerInstructions }, { role: "user", content: text }], handoffTools);
}

function onlyCall(completion: ChatCompletion): { name: string; args: Record<string, unknown>; id: string } {
  const choice = completion.choices[0];
  expect(choice?.finish_reason).toBe("tool_calls");
  const calls = choice?.message.tool_calls ?? [];
  expect(calls).toHaveLength(1);
  const call = calls[0];
  if (call?.type !== "function") throw new Error("expected a function call");
  return { name: call.function.name, args: JSON.parse(call.function.arguments) as Record<string, unknown>, id: call.id };
}

function answerOf(completion: ChatCompletion): string {
  const choice = completion.choices[0];
  expect(choice?.finish_reason).toBe("stop");
  expect(choice?.message.tool_calls ?? []).toHaveLength(0);
  return choice?.message.content ?? "";
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => word !== "").length;
}

/** A conversation in which the assistant called `name` with `args` and the tool answered `result`. */
function afterToolCall(
  instructions: string,
  task: string,
  name: string,
  args: unknown,
  result: unknown,
  callId = "call_1",
): ChatCompletionMessageParam[] {
  return [
    { role: "system", content: instructions },
    { role: "user", content: task },
    { role: "assistant", content: null, tool_calls: [{ id: callId, type: "function", function: { name, arguments: JSON.stringify(args) } }] },
    { role: "tool", tool_call_id: callId, content: JSON.stringify(result) },
  ];
}

// ——— tests ———

describe("offline model: the manager routes by the agents' descriptions", () => {
  it.each([
    ["how much is 15 percent of 80", "calculator"],
    ["What's 17.5% of 2,480?", "calculator"],
    ["convert 3 kg to pounds", "calculator"],
    ["add 3 and 4", "calculator"],
    ["what is 2^10", "calculator"],
    ["search the docs for how durability works", "researcher"],
    ["How do handoffs work?", "researcher"],
    ["rewrite this more formally: hey guys, the meeting moved to 3pm and bring snacks", "writer"],
    ["Draft a short announcement about the new delegate feature", "writer"],
    ["Hi! Can you summarise this for me: the release is late. We fixed the queue bug.", "writer"],
    ["proofread this: we was going to the shop", "writer"],
  ])("transfers %j to %s with a reason that names what matched", async (text, agent) => {
    const call = onlyCall(await askManager(text));
    expect(call.name).toBe("transfer");
    const args = transferParameters(team).parse(call.args);
    expect(args.agent).toBe(agent);
    expect(args.reason).toMatch(new RegExp(`^asks about .+, which ${agent} handles$`));
    expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
  });

  it("says which words of the description matched", async () => {
    const call = onlyCall(await askManager("how much is 15 percent of 80"));
    expect(call.args.reason).toContain("percentages");
    const research = onlyCall(await askManager("search the docs for how durability works"));
    expect(research.args.reason).toContain("durability");
  });

  it.each([
    [
      "convert 5 miles to km, and summarize how handoffs work",
      [
        ["calculator", "Convert 5 miles to km"],
        ["researcher", "Summarize how handoffs work"],
      ],
    ],
    [
      "Convert 5 miles to km. Then search the docs for how durability works.",
      [
        ["calculator", "Convert 5 miles to km"],
        ["researcher", "Search the docs for how durability works"],
      ],
    ],
    [
      "what is 12 * 7 and what is 3 + 4?",
      [
        ["calculator", "What is 12 * 7"],
        ["calculator", "What is 3 + 4?"],
      ],
    ],
    [
      "convert 5 miles to km and 3 kg to pounds",
      [
        ["calculator", "Convert 5 miles to km"],
        ["calculator", "Convert 3 kg to pounds"],
      ],
    ],
    [
      "What's 15% of 80? Also, draft a note to the team about the new pricing",
      [
        ["calculator", "What's 15% of 80?"],
        ["writer", "Draft a note to the team about the new pricing"],
      ],
    ],
  ])("delegates the independent parts of %j", async (text, expected) => {
    const call = onlyCall(await askManager(text));
    expect(call.name).toBe("delegate");
    const { tasks } = delegateParameters(team).parse(call.args);
    expect(tasks.map((task) => [task.agent, task.task])).toEqual(expected);
    for (const task of tasks) expect(task.reason).toContain(task.agent);
  });

  it("delegates the part it can route and leaves the rest to its final answer", async () => {
    const call = onlyCall(await askManager("tell me a joke and convert 3 kg to pounds"));
    expect(call.name).toBe("delegate");
    expect(delegateParameters(team).parse(call.args).tasks.map((task) => task.task)).toEqual(["Convert 3 kg to pounds"]);
  });

  it.each(["hello", "What's the weather in Paris?", "tell me a joke"])(
    "answers %j itself, saying it is the offline model and who is on the team",
    async (text) => {
      const answer = answerOf(await askManager(text));
      expect(answer).toContain("offline model");
      for (const candidate of team) expect(answer).toContain(candidate.name);
    },
  );

  it("writes one answer from every delegated result, marking failures", async () => {
    const results = [
      { agent: "calculator", task: "Convert 5 miles to km", status: "completed", result: "5 miles = 8.04672 km" },
      { agent: "researcher", task: "Summarize how handoffs work", status: "failed", result: "researcher could not finish this task (its job failed)." },
    ];
    const messages = afterToolCall(
      managerInstructions,
      "convert 5 miles to km, and summarize how handoffs work",
      "delegate",
      { tasks: [] },
      results,
    );
    const answer = answerOf(await complete(messages, handoffTools));
    expect(answer).toBe(
      "Here is what the team found:\n\n**calculator**: 5 miles = 8.04672 km\n\n**researcher** (failed): researcher could not finish this task (its job failed).",
    );
  });

  it("labels each answer with its task when one agent got two", async () => {
    const messages = afterToolCall(managerInstructions, "what is 12 * 7 and what is 3 + 4?", "delegate", { tasks: [] }, [
      { agent: "calculator", task: "What is 12 * 7", status: "completed", result: "12 * 7 = 84" },
      { agent: "calculator", task: "What is 3 + 4?", status: "completed", result: "3 + 4 = 7" },
    ]);
    const answer = answerOf(await complete(messages, handoffTools));
    expect(answer).toBe("Here is what the team found:\n\n**calculator** (What is 12 * 7): 12 * 7 = 84\n\n**calculator** (What is 3 + 4?): 3 + 4 = 7");
  });

  it("mentions the part no agent took when it synthesizes", async () => {
    const messages = afterToolCall(managerInstructions, "tell me a joke and convert 3 kg to pounds", "delegate", { tasks: [] }, [
      { agent: "calculator", status: "completed", result: "3 kg = 6.613867865 lb" },
    ]);
    const answer = answerOf(await complete(messages, handoffTools));
    expect(answer).toContain("**calculator**: 3 kg = 6.613867865 lb");
    expect(answer).toContain('"Tell me a joke"');
    expect(answer).toContain("offline model");
  });

  it("explains a refused handoff instead of trying again", async () => {
    const messages = afterToolCall(managerInstructions, "how much is 15 percent of 80", "transfer", { agent: "calculator", reason: "x" }, {
      ok: false,
      error: "calculator is already in this chain of handoffs",
    });
    const answer = answerOf(await complete(messages, handoffTools));
    expect(answer).toContain("couldn't hand this over: calculator is already in this chain of handoffs");
    expect(answer).toContain("offline model");
  });

  it("gives the same tool call id for the same request, and another for a different one", async () => {
    const first = onlyCall(await askManager("convert 3 kg to pounds"));
    const again = onlyCall(await askManager("convert 3 kg to pounds"));
    const other = onlyCall(await askManager("convert 4 kg to pounds"));
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
  });

  it("routes on a handoff schema with a single agent", async () => {
    const solo = [team[0] as HandoffCandidate];
    const tools: ChatCompletionTool[] = [
      { type: "function", function: { name: "transfer", description: TRANSFER_DESCRIPTION, parameters: jsonSchema(transferParameters(solo)) } },
      { type: "function", function: { name: "delegate", description: DELEGATE_DESCRIPTION, parameters: jsonSchema(delegateParameters(solo)) } },
    ];
    const call = onlyCall(await complete([{ role: "user", content: "what is 20% of 150?" }], tools));
    expect(call.args.agent).toBe("calculator");
  });
});

describe("offline model: conversations as the runtime sends them", () => {
  it("routes on the newest user message, not on earlier turns", async () => {
    const completion = await complete(
      [
        { role: "system", content: managerInstructions },
        { role: "user", content: "convert 5 miles to km" },
        { role: "assistant", content: "5 miles = 8.04672 km" },
        { role: "user", content: [{ type: "text", text: "Now search the docs for how durability works" }] },
      ],
      handoffTools,
    );
    expect(onlyCall(completion).args).toMatchObject({ agent: "researcher" });
  });

  it("answers thanks in kind, as the offline model", async () => {
    const answer = answerOf(await askManager("thanks!"));
    expect(answer).toMatch(/^You're welcome! I'm Switchboard's offline model/);
  });

  it("lets a specialist that may hand on use its own tool for what no other agent does", async () => {
    const researcherOnly = [team[1] as HandoffCandidate];
    const tools: ChatCompletionTool[] = [
      ...toolSchemas([calculate]),
      { type: "function", function: { name: "transfer", description: TRANSFER_DESCRIPTION, parameters: jsonSchema(transferParameters(researcherOnly)) } },
      { type: "function", function: { name: "delegate", description: DELEGATE_DESCRIPTION, parameters: jsonSchema(delegateParameters(researcherOnly)) } },
    ];
    const instructions = { role: "system" as const, content: "You are the calculator." };
    const sum = await complete([instructions, { role: "user", content: "what is 3 + 4?" }], tools);
    expect(onlyCall(sum)).toMatchObject({ name: "calculate", args: { expression: "3 + 4" } });
    const question = await complete([instructions, { role: "user", content: "how do handoffs work?" }], tools);
    expect(onlyCall(question)).toMatchObject({ name: "transfer", args: { agent: "researcher" } });
    const result = afterToolCall("You are the calculator.", "what is 3 + 4?", "calculate", { expression: "3 + 4" }, { answer: "3 + 4 = 7" });
    expect(answerOf(await complete(result, tools))).toBe("3 + 4 = 7");
  });
});

describe("offline model: splitting a request into parts", () => {
  it.each([
    ["add 3 and 4", ["Add 3 and 4"]],
    ["add 3, 4, and 5", ["Add 3, 4, and 5"]],
    ["search for cats and dogs", ["Search for cats and dogs"]],
    ["what is 3 and 4", ["What is 3 and 4"]],
    ["find and replace the word", ["Find and replace the word"]],
    ["summarize the docs and explain handoffs", ["Summarize the docs", "Explain handoffs"]],
    ["convert 5 miles to km, summarize how handoffs work", ["Convert 5 miles to km", "Summarize how handoffs work"]],
    ["convert 5 miles to km; tell me about durability", ["Convert 5 miles to km", "Tell me about durability"]],
    ["how much is 15% of 80 and 20% of 50?", ["How much is 15% of 80", "How much is 20% of 50?"]],
    ["Please calculate 2^10 and then draft a short note about it", ["Please calculate 2^10", "Draft a short note about it"]],
    ['translate "stop and go" to French and add 3 and 4', ['Translate "stop and go" to French', "Add 3 and 4"]],
    ["rewrite this: we met. and we agreed; then we left", ["Rewrite this: we met. and we agreed; then we left"]],
    ["What's 1,234 * 3? Thanks", ["What's 1,234 * 3?", "Thanks"]],
    ["turn this into bullet points: we shipped. we tested.", ["Turn this into bullet points: we shipped. we tested."]],
    ["Note: convert 5 miles to km. And summarize how handoffs work", ["Note: convert 5 miles to km", "Summarize how handoffs work"]],
  ])("%j → %j", (text, parts) => {
    expect(splitRequest(text)).toEqual(parts);
  });
});

describe("offline model: a specialist calls the tool that fits, with arguments from the task", () => {
  const calculatorInstructions = "You are the calculator. Use the calculate tool for every sum.";

  it.each([
    ["How much is 15 percent of 80?", "15 percent of 80"],
    ["What's 1,234 * 3?", "1,234 * 3"],
    ["add 3 and 4", "3 + 4"],
    ["Convert 5 miles to km", "5 miles to km"],
    ["what is the square root of 16", "square root of 16"],
    ["calculate sqrt(16) + 3, please", "sqrt(16) + 3"],
    ["What is the average of 3, 4 and 5?", "(3 + 4 + 5) / 3"],
    ["multiply 6 by 7", "6 * 7"],
    ["subtract 5 from 12", "12 - 5"],
  ])("calculator: %j → calculate(%j)", async (task, expression) => {
    const completion = await complete(
      [{ role: "system", content: calculatorInstructions }, { role: "user", content: task }],
      toolSchemas([calculate, searchDocs]),
    );
    const call = onlyCall(completion);
    expect(call).toMatchObject({ name: "calculate", args: { expression } });
  });

  it.each([
    ["search the docs for how durability works", "durability works"],
    ["How do handoffs work?", "handoffs work"],
    ["Find what the docs say about retry backoff", "retry backoff"],
  ])("researcher: %j → search_docs(%j)", async (task, query) => {
    const completion = await complete(
      [{ role: "system", content: "You answer questions about Switchboard from its documentation." }, { role: "user", content: task }],
      toolSchemas([calculate, searchDocs]),
    );
    expect(onlyCall(completion)).toMatchObject({ name: "search_docs", args: { query } });
  });

  it("fills numbers and enum values from the task, and defaults otherwise", async () => {
    const task = "Shorten this to 20 words, formal please: The queue restarts jobs. Workers pick them up again.";
    const completion = await complete([{ role: "user", content: task }], toolSchemas([shorten]));
    expect(onlyCall(completion)).toMatchObject({
      name: "shorten",
      args: { text: "The queue restarts jobs. Workers pick them up again.", max_words: 20, tone: "formal" },
    });
  });

  it("does not call a tool whose required arguments the task cannot fill", async () => {
    const completion = await complete(
      [{ role: "system", content: calculatorInstructions }, { role: "user", content: "tell me a joke" }],
      toolSchemas([calculate]),
    );
    const answer = answerOf(completion);
    expect(answer).toContain("offline model");
    expect(answer).toContain("calculate");
  });

  it("answers from the tool's `answer` field", async () => {
    const messages = afterToolCall(calculatorInstructions, "How much is 15 percent of 80?", "calculate", { expression: "15 percent of 80" }, {
      expression: "15 percent of 80",
      result: "12",
      answer: "15 percent of 80 = 12",
    });
    expect(answerOf(await complete(messages, toolSchemas([calculate])))).toBe("15 percent of 80 = 12");
  });

  it("renders results without an answer field", async () => {
    const messages = afterToolCall("You research.", "search the docs for durability", "search_docs", { query: "durability" }, {
      results: [{ title: "Durability", snippet: "Every step is checkpointed before the next." }],
    });
    const answer = answerOf(await complete(messages, toolSchemas([searchDocs])));
    expect(answer).toContain("Durability: Every step is checkpointed before the next.");
  });

  it("retries once with a different reading after a tool error, then explains", async () => {
    const task = "How much is 15 percent of 80?";
    const error = { ok: false, error: 'Could not calculate: "percent" is not a number, unit, constant or function mathjs knows' };
    const first = afterToolCall(calculatorInstructions, task, "calculate", { expression: "15 percent of 80" }, error);
    const retry = onlyCall(await complete(first, toolSchemas([calculate])));
    expect(retry).toMatchObject({ name: "calculate", args: { expression: "15% of 80" } });

    const second: ChatCompletionMessageParam[] = [
      ...first,
      { role: "assistant", content: null, tool_calls: [{ id: "call_2", type: "function", function: { name: "calculate", arguments: JSON.stringify(retry.args) } }] },
      { role: "tool", tool_call_id: "call_2", content: JSON.stringify(error) },
    ];
    const answer = answerOf(await complete(second, toolSchemas([calculate])));
    expect(answer).toContain("calculate reported an error");
    expect(answer).toContain("mathjs knows");
  });

  it("explains an error it has no other reading for, without calling again", async () => {
    const messages = afterToolCall("You research.", "search the docs for durability", "search_docs", { query: "durability" }, {
      ok: false,
      error: "the documentation index is not built",
    });
    const answer = answerOf(await complete(messages, toolSchemas([searchDocs])));
    expect(answer).toContain("the documentation index is not built");
  });

  it("calls no tool when tool_choice is none", async () => {
    const completion = await offlineClient().chat.completions.create({
      model: "offline",
      messages: [{ role: "user", content: "what is 2 + 2" }],
      tools: toolSchemas([calculate]),
      tool_choice: "none",
    });
    expect(answerOf(completion)).toContain("offline model");
  });
});

describe("offline model: a writer with text tools", () => {
  const instructions = { role: "system" as const, content: "You are the writer. Draft new text directly; use your tools for text the user gives you." };
  const ask = (task: string) => complete([instructions, { role: "user", content: task }], toolSchemas(writerTools));

  it.each([
    ["how many words are in this: the quick brown fox jumps", "text_stats", { text: "the quick brown fox jumps" }],
    ["turn this into bullet points: we shipped. we tested. we celebrated.", "rewrite_text", { text: "we shipped. we tested. we celebrated.", style: "bullets" }],
    ["make this more formal: we're done", "rewrite_text", { text: "we're done", style: "formal" }],
    ["summarize in 2 sentences: A is first. B is second. C is third.", "summarize_text", { text: "A is first. B is second. C is third.", sentences: 2 }],
    ['summarize "One thing happened. Then another."', "summarize_text", { text: "One thing happened. Then another." }],
  ])("%j → %s(%j): the request picks the tool, the material fills it", async (task, name, args) => {
    expect(onlyCall(await ask(task))).toEqual({ name, args, id: expect.stringMatching(/^call_/) });
  });

  it.each(["Draft a short announcement about the new delegate feature", "summarize how handoffs work", "rewrite this more formally"])(
    "calls no text tool for %j, which gives no text to work on",
    async (task) => {
      const answer = answerOf(await ask(task));
      expect(answer).toContain("offline model");
    },
  );
});

describe("offline model: a specialist without a fitting tool writes from the request", () => {
  const writerInstructions = "You are the writer. You draft, rewrite and summarize text.";
  const ask = async (task: string) => answerOf(await complete([{ role: "system", content: writerInstructions }, { role: "user", content: task }]));

  it("drafts a few sentences from the request's own words, and says where they come from", async () => {
    const answer = await ask("Draft a short announcement about the new delegate feature for the team");
    const [draft, note] = answer.split("\n\n");
    expect(draft).toBe(
      "This announcement for the team is about the new delegate feature. It says what is changing, who it affects and what happens next. The specifics (names, dates and numbers) still need to be added.",
    );
    expect(note).toMatch(/^\(Draft by Switchboard's offline model: .+\)$/);
  });

  it("rewrites text more formally", async () => {
    const answer = await ask("rewrite this more formally: hey guys, we're gonna move the meeting to 3pm. bring snacks!");
    expect(answer).toContain("Hello everyone, we are going to move the meeting to 3pm. Bring snacks.");
    expect(answer).toContain("offline model");
  });

  it("summarizes by picking sentences", async () => {
    const answer = await ask(
      "summarize: Switchboard runs agents on queues. The weather was nice. Agents hand work to other agents through queues. Lunch was late.",
    );
    expect(answer).toContain("- Switchboard runs agents on queues.");
    expect(answer).toContain("- Agents hand work to other agents through queues.");
    expect(answer).not.toContain("Lunch");
  });

  it("says what it cannot do when the request is not writing", async () => {
    const answer = await ask("what is 2+2");
    expect(answer).toContain("offline model");
    expect(answer).toContain('"what is 2+2"');
  });
});

describe("offline model: the chat completions protocol through the openai SDK", () => {
  const greeting: ChatCompletionMessageParam[] = [{ role: "system", content: managerInstructions }, { role: "user", content: "hello" }];

  it("streams the answer word by word, and the words add up to the non-streamed answer", async () => {
    const client = offlineClient();
    const whole = answerOf(await client.chat.completions.create({ model: "offline", messages: greeting, tools: handoffTools }));
    const stream = await client.chat.completions.create({ model: "offline", messages: greeting, tools: handoffTools, stream: true });
    const pieces: string[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(pieces.join("")).toBe(whole);
    expect(pieces).toHaveLength(countWords(whole));
    expect(pieces.every((piece) => countWords(piece) === 1)).toBe(true);
    expect(finish).toBe("stop");
  });

  it("streams tool calls in the standard delta shape, accumulated by index", async () => {
    const client = offlineClient();
    const request = { model: "offline", messages: [{ role: "user" as const, content: "convert 5 miles to km, and summarize how handoffs work" }], tools: handoffTools };
    const plain = onlyCall(await client.chat.completions.create(request));
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) chunks.push(chunk);

    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    const [opening, ...rest] = toolDeltas;
    expect(opening).toMatchObject({ index: 0, id: plain.id, type: "function", function: { name: "delegate", arguments: "" } });
    expect(rest.length).toBeGreaterThan(1);
    for (const delta of rest) {
      expect(delta.id).toBeUndefined();
      expect(delta.function?.name).toBeUndefined();
    }
    const accumulated = rest.map((delta) => delta.function?.arguments ?? "").join("");
    expect(JSON.parse(accumulated)).toEqual(plain.args);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("gives the SDK's stream helper a complete tool call", async () => {
    const runner = offlineClient(1).chat.completions.stream({
      model: "offline",
      messages: [{ role: "user", content: "how much is 15 percent of 80" }],
      tools: handoffTools,
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" ? call.function.name : undefined).toBe("transfer");
    expect(call?.type === "function" ? JSON.parse(call.function.arguments) : undefined).toMatchObject({ agent: "calculator" });
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("ends with a usage chunk with empty choices when include_usage is set", async () => {
    const chunks: ChatCompletionChunk[] = [];
    const stream = await offlineClient().chat.completions.create({
      model: "gpt-4o-mini",
      messages: greeting,
      tools: handoffTools,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last?.usage?.total_tokens).toBe((last?.usage?.prompt_tokens ?? 0) + (last?.usage?.completion_tokens ?? 0));
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.every((chunk) => chunk.model === "gpt-4o-mini" && chunk.object === "chat.completion.chunk")).toBe(true);
  });

  it("reports usage and echoes the model on a plain completion", async () => {
    const completion = await offlineClient().chat.completions.create({ model: "my-model", messages: greeting });
    expect(completion.model).toBe("my-model");
    expect(completion.object).toBe("chat.completion");
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
  });

  it("serves the stream as text/event-stream", async () => {
    const { response } = await offlineClient()
      .chat.completions.create({ model: "offline", messages: greeting, stream: true })
      .withResponse();
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    await response.body?.cancel();
  });

  it("waits the configured delay between words", async () => {
    const delayMs = 20;
    const answer = "one two three four five six";
    const messages = afterToolCall("You calculate.", "count to six", "calculate", { expression: "6" }, { answer });
    const started = performance.now();
    const stream = await offlineClient(delayMs).chat.completions.create({ model: "offline", messages, tools: toolSchemas([calculate]), stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    const elapsed = performance.now() - started;
    expect(text).toBe(answer);
    // Only a lower bound: timers never fire early, but a busy machine may make them late.
    expect(elapsed).toBeGreaterThanOrEqual(countWords(answer) * delayMs * 0.9);
  });

  it("stops streaming when the request is aborted", async () => {
    const client = offlineClient(15);
    const whole = answerOf(await client.chat.completions.create({ model: "offline", messages: greeting, tools: handoffTools }));
    const stream = await client.chat.completions.create({ model: "offline", messages: greeting, tools: handoffTools, stream: true });
    let received = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) received += 1;
      if (received === 2) stream.controller.abort();
    }
    // The SDK ends iteration quietly on abort; the stream stopped long before the last word.
    expect(received).toBe(2);
    expect(countWords(whole)).toBeGreaterThan(10);

    const runner = client.chat.completions.stream({ model: "offline", messages: greeting, tools: handoffTools });
    runner.on("content", () => runner.abort());
    await expect(runner.finalChatCompletion()).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it("errors a pending read with an AbortError when the signal aborts", async () => {
    const aborter = new AbortController();
    const response = await createOfflineFetch({ delayMs: 50 })(`${OFFLINE_BASE_URL}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "offline", messages: greeting, stream: true }),
      signal: aborter.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const pending = reader.read();
    aborter.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    await expect(
      createOfflineFetch({ delayMs: 0 })(`${OFFLINE_BASE_URL}/chat/completions`, { method: "POST", body: "{}", signal: aborter.signal }),
    ).rejects.toMatchObject({ name: "AbortError" });
  });

  it.each([
    ["an unknown role", { model: "offline", messages: [{ role: "robot", content: "hi" }] }, "messages[0].role"],
    ["no messages", { model: "offline", messages: [] }, "messages"],
    ["no model", { messages: [{ role: "user", content: "hi" }] }, "model"],
    ["a tool message answering no call", { model: "offline", messages: [{ role: "user", content: "hi" }, { role: "tool", tool_call_id: "call_x", content: "{}" }] }, "messages[1].tool_call_id"],
    [
      "an unanswered tool call",
      {
        model: "offline",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: null, tool_calls: [{ id: "call_x", type: "function", function: { name: "f", arguments: "{}" } }] },
          { role: "user", content: "again" },
        ],
      },
      "messages[2]",
    ],
  ])("refuses a body with %s as a 400 BadRequestError", async (_label, body, param) => {
    const error = await offlineClient()
      .chat.completions.create(body as never)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, param, type: "invalid_request_error" });
  });

  it("answers malformed JSON and unknown paths with OpenAI-style errors", async () => {
    const offlineFetch = createOfflineFetch({ delayMs: 0 });
    const bad = await offlineFetch(`${OFFLINE_BASE_URL}/chat/completions`, { method: "POST", body: "{not json" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: "invalid_request_error", param: null, code: "invalid_json" } });
    const missing = await offlineFetch(`${OFFLINE_BASE_URL}/embeddings`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { message: expect.stringContaining("/embeddings") } });
    await expect(offlineClient().embeddings.create({ model: "x", input: "y" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("lists the offline model", async () => {
    const ids: string[] = [];
    for await (const model of offlineClient().models.list()) ids.push(model.id);
    expect(ids).toEqual(["offline"]);
  });
});

describe("offline model: a full manager → specialists → manager round through the SDK", () => {
  it("delegates, lets each specialist call its tool, and synthesizes the results", async () => {
    const client = offlineClient();
    const userText = "convert 5 miles to km, and search the docs for how durability works";
    const managerMessages: ChatCompletionMessageParam[] = [{ role: "system", content: managerInstructions }, { role: "user", content: userText }];
    const delegation = onlyCall(await client.chat.completions.create({ model: "offline", messages: managerMessages, tools: handoffTools }));
    const { tasks } = delegateParameters(team).parse(delegation.args);

    const toolResults: Record<string, unknown> = {
      calculate: { answer: "5 miles = 8.04672 km" },
      search_docs: { answer: "Every step is checkpointed, so a crash resumes from the last finished step." },
    };
    const results = [];
    for (const task of tasks) {
      const tools = toolSchemas([calculate, searchDocs]);
      const messages: ChatCompletionMessageParam[] = [{ role: "system", content: `You are the ${task.agent}.` }, { role: "user", content: task.task }];
      const call = onlyCall(await client.chat.completions.create({ model: "offline", messages, tools }));
      messages.push(
        { role: "assistant", content: null, tool_calls: [{ id: call.id, type: "function", function: { name: call.name, arguments: JSON.stringify(call.args) } }] },
        { role: "tool", tool_call_id: call.id, content: JSON.stringify(toolResults[call.name]) },
      );
      const answer = answerOf(await client.chat.completions.create({ model: "offline", messages, tools }));
      results.push({ agent: task.agent, task: task.task, status: "completed", result: answer });
    }

    managerMessages.push(
      { role: "assistant", content: null, tool_calls: [{ id: delegation.id, type: "function", function: { name: "delegate", arguments: JSON.stringify(delegation.args) } }] },
      { role: "tool", tool_call_id: delegation.id, content: JSON.stringify(results) },
    );
    const final = answerOf(await client.chat.completions.create({ model: "offline", messages: managerMessages, tools: handoffTools }));
    expect(final).toBe(
      "Here is what the team found:\n\n**calculator**: 5 miles = 8.04672 km\n\n**researcher**: Every step is checkpointed, so a crash resumes from the last finished step.",
    );
  });
});

describe("offline model over HTTP (test/support/chat-completions-server)", () => {
  let server: ChatCompletionsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const httpClient = (baseURL: string, maxRetries: number) => new OpenAI({ apiKey: "test", baseURL, maxRetries, timeout: 5_000 });
  const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "convert 3 kg to pounds" }];

  it("serves the SDK pointed at it with baseURL, streamed and not, and records every request", async () => {
    server = await startChatCompletionsServer({ delayMs: 1 });
    const client = httpClient(server.baseUrl, 0);
    const plain = await client.chat.completions.create({ model: "offline", messages, tools: handoffTools });
    expect(onlyCall(plain)).toMatchObject({ name: "transfer", args: { agent: "calculator" } });

    const stream = await client.chat.completions.create({ model: "offline", messages: [{ role: "user", content: "hello" }], tools: handoffTools, stream: true });
    let text = "";
    let contentChunks = 0;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) {
        text += content;
        contentChunks += 1;
      }
    }
    expect(text).toContain("offline model");
    expect(contentChunks).toBe(countWords(text));
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]).toMatchObject({ model: "offline", stream: true });
  });

  it("lets the SDK retry a 429 and succeed", async () => {
    server = await startChatCompletionsServer({
      faults: (index) => (index === 0 ? { status: 429, message: "Rate limit reached, slow down." } : undefined),
    });
    const completion = await httpClient(server.baseUrl, 2).chat.completions.create({ model: "offline", messages, tools: handoffTools });
    expect(onlyCall(completion).name).toBe("transfer");
    expect(server.requests).toHaveLength(2);
  });

  it("surfaces a persistent 500 as an APIError after the retries", async () => {
    server = await startChatCompletionsServer({ faults: () => ({ status: 500, message: "The model server crashed." }) });
    const error = await httpClient(server.baseUrl, 1)
      .chat.completions.create({ model: "offline", messages })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 500 });
    expect((error as APIError).message).toContain("The model server crashed.");
    expect(server.requests).toHaveLength(2);
  });
});
