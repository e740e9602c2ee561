import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DELEGATE_DESCRIPTION, TRANSFER_DESCRIPTION, delegateParameters, transferParameters, type HandoffCandidate } from "../agents/handoff-tools.js";
import { createOfflineFetch } from "../agents/model/offline/offline-fetch.js";

// Workflow steps call the model the way the product will: optional step instructions, the prompt,
// no tools, and the step's zod output as a strict JSON schema.

const client = new OpenAI({ apiKey: "offline", baseURL: "http://offline.switchboard/v1", fetch: createOfflineFetch({ delayMs: 0 }), maxRetries: 0 });

function messagesFor(prompt: string, instructions?: string): ChatCompletionMessageParam[] {
  return [...(instructions ? [{ role: "system" as const, content: instructions }] : []), { role: "user", content: prompt }];
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema) as Record<string, unknown>;
}

/** An `llm` step with an output schema: the content must be JSON valid against the schema it came from. */
async function structured<T extends z.ZodType>(name: string, prompt: string, output: T, instructions?: string): Promise<z.infer<T>> {
  const completion = await client.chat.completions.create({
    model: "offline",
    messages: messagesFor(prompt, instructions),
    response_format: { type: "json_schema", json_schema: { name, schema: jsonSchema(output), strict: true } },
  });
  expect(completion.choices[0]?.finish_reason).toBe("stop");
  const content = completion.choices[0]?.message.content ?? "";
  expect(content).not.toMatch(/offline model/i);
  return output.parse(JSON.parse(content));
}

/** An `llm` step without an output schema: plain text. */
async function text(prompt: string, instructions?: string): Promise<string> {
  const completion = await client.chat.completions.create({ model: "offline", messages: messagesFor(prompt, instructions) });
  return completion.choices[0]?.message.content ?? "";
}

const Kind = z.object({
  kind: z.union([
    z.literal("damaged").describe("The item arrived broken, crushed or damaged"),
    z.literal("wrong_item").describe("A different item than ordered was delivered"),
    z.literal("late").describe("The order has not arrived or is delayed"),
  ]),
});

const Review = z.object({ pass: z.boolean(), score: z.number().min(0).max(10), feedback: z.string() });

const CRITERIA = ["At most 60 words", 'Mentions "search"', "Starts with a title line", "Ends with a call to action"];

function reviewPrompt(draft: string, criteria = CRITERIA): string {
  return `Criteria:\n${criteria.map((criterion) => `- ${criterion}`).join("\n")}\n\nDraft:\n${draft}`;
}

describe("offline model: classification steps", () => {
  it.each([
    ["Customer says: my order 4411 arrived damaged, the box was crushed", "damaged"],
    ["The parcel came but the vase inside is broken", "damaged"],
    ["You sent me the wrong item, I ordered size M", "wrong_item"],
    ["A different jacket was delivered, not the one I ordered", "wrong_item"],
    ["Where is my order? It is delayed and still not here", "late"],
    ["My package still hasn't arrived after two weeks", "late"],
  ])("%j → %s, by the options' descriptions", async (prompt, kind) => {
    expect(await structured("classify", prompt, Kind, "Classify the customer's order exception.")).toEqual({ kind });
  });

  it("reads an enum's own words when its values have no description", async () => {
    const Team = z.object({ team: z.enum(["billing", "shipping", "technical_problem"]) });
    expect(await structured("route", "I was charged twice on my bill", Team)).toEqual({ team: "billing" });
    expect(await structured("route", "the app crashes, a technical problem", Team)).toEqual({ team: "technical_problem" });
    expect(await structured("route", "when will you ship my parcel?", Team)).toEqual({ team: "shipping" });
  });

  it("answers the same prompt the same way", async () => {
    const prompt = "the box was crushed and the lamp inside is broken";
    const answers = await Promise.all([1, 2, 3].map(() => structured("classify", prompt, Kind)));
    expect(new Set(answers.map((answer) => answer.kind))).toEqual(new Set(["damaged"]));
  });
});

describe("offline model: extraction steps", () => {
  it("fills identifiers, amounts and text fields from the prompt by their names and descriptions", async () => {
    const Refund = z.object({
      orderId: z.string().describe("the order number"),
      amount: z.number().describe("the amount to refund"),
      message: z.string().describe("what the customer wrote"),
      kind: Kind.shape.kind,
    });
    const prompt = "Please refund $45.50 for order #4411, the lamp arrived broken";
    expect(await structured("extract", prompt, Refund)).toEqual({ orderId: "4411", amount: 45.5, message: prompt, kind: "damaged" });
  });

  it("leaves out optional fields the prompt does not supply", async () => {
    const Lookup = z.object({ orderId: z.string(), trackingNumber: z.string().optional(), quantity: z.int().min(1).max(100).optional() });
    expect(await structured("extract", "where is order 4411?", Lookup)).toEqual({ orderId: "4411" });
  });
});

describe("offline model: the refund workflow's intake step", () => {
  // As catalog/refund-approval.yaml sends it: its instructions, its prompt template, its output schema.
  const instructions = "You process refund requests. Extract the order number, the amount and the category of the request.";
  const prompt = (reason: string, orderId = "4411", amount = 20) => `Refund request for order ${orderId}, amount $${amount}. The customer wrote: ${reason}`;
  const category = (descriptions: [string, string, string]) =>
    z
      .union([z.literal("damaged").describe(descriptions[0]), z.literal("not_received").describe(descriptions[1]), z.literal("changed_mind").describe(descriptions[2])])
      .describe("Why the customer wants a refund");
  const Intake = (descriptions: [string, string, string]) =>
    z.object({
      orderId: z.string().describe("The order number"),
      amount: z.number().describe("The amount asked for, in dollars"),
      category: category(descriptions),
    });
  const catalog = Intake([
    "The item arrived broken, cracked or damaged",
    "The parcel never came or was lost in delivery",
    "The customer changed their mind or no longer wants it",
  ]);

  it.each([
    ["the teapot arrived cracked", "damaged"],
    ["it never came", "not_received"],
    ["I don't want it anymore", "changed_mind"],
    ["I changed my mind", "changed_mind"],
    ["the parcel was lost", "not_received"],
  ])("%j → %s, with the order number and the amount in their own fields", async (reason, kind) => {
    expect(await structured("intake", prompt(reason), catalog, instructions)).toEqual({ orderId: "4411", amount: 20, category: kind });
  });

  it("reads the category from the customer's words, not from the template around them", async () => {
    // "order" and "customer" are in every prompt; here they are also in the options' descriptions.
    const earlier = Intake(["The item arrived broken or damaged", "The order never arrived or was lost", "The customer changed their mind or no longer wants it"]);
    expect((await structured("intake", prompt("the lamp arrived broken"), earlier, instructions)).category).toBe("damaged");
    expect((await structured("intake", prompt("the teapot arrived cracked"), earlier, instructions)).category).toBe("damaged");
    expect((await structured("intake", prompt("it was lost"), earlier, instructions)).category).toBe("not_received");
    // When the customer's words match nothing, the rest of the prompt is read.
    const Kinded = z.object({ kind: Kind.shape.kind });
    expect(await structured("intake", "Order 4411 arrived damaged. The customer wrote: please help", Kinded)).toEqual({ kind: "damaged" });
  });

  it("never takes the order number for the amount", async () => {
    expect((await structured("intake", prompt("it never came", "4411", 4411), catalog, instructions)).amount).toBe(4411);
    expect((await structured("intake", prompt("it never came", "20", 35), catalog, instructions)).amount).toBe(35);
    const AmountFirst = z.object({ amount: z.number().describe("The amount asked for, in dollars"), orderId: z.string().describe("The order number") });
    for (const request of [
      "Refund request for order 4411, amount $20",
      "Refund 20 dollars for order 4411",
      "Refund €20 for order 4411",
      "order 4411 amount 20",
      "order 4411, amount: 20",
      "Refund request for order 4411 for 20",
    ]) {
      expect(await structured("intake", request, AmountFirst), request).toEqual({ amount: 20, orderId: "4411" });
    }
    const Numbers = z.object({ amount: z.number(), orderId: z.int().describe("The order number") });
    expect(await structured("intake", "Refund 20 for 4411", Numbers)).toEqual({ amount: 20, orderId: 4411 });
    expect(await structured("intake", "order 4411: refund 1,299.50 please", Numbers)).toEqual({ amount: 1299.5, orderId: 4411 });
  });
});

describe("offline model: the content pipeline's polish and translation steps", () => {
  // As workflows/examples/content-pipeline.ts sends them.
  const polishPrompt = (draft: string) => ["Polish this draft; keep its meaning and length.", "Draft:", draft].join("\n");
  const revisePrompt = (draft: string, feedback: string) =>
    ["Revise the draft to address the feedback; change nothing else.", "Feedback:", feedback, "Draft:", draft].join("\n");
  const translatePrompt = (language: string, text: string) => `Translate into ${language}; keep the title line and the formatting:\n${text}`;
  const pipelineCriteria = ["starts with a title line", "at most 120 words", "ends with a call to action", "no exclamation marks"];

  it("returns a draft to polish without feedback as it is: no preamble, no second note", async () => {
    const draft = await text("Write a short announcement about the new search feature for customers.");
    expect(draft).toMatch(/\n\n\(Draft by Switchboard's offline model[^\n]*\)$/);
    expect(await text(polishPrompt(draft))).toBe(draft);
    const titled = "# New Search\n\nOur new search finds orders in a second.\n\n- Faster\n- Simpler\n\nTry it today.";
    expect(await text(polishPrompt(titled))).toBe(titled);
    expect(await text(`Please revise this draft.\nDraft:\n${titled}`)).toBe(titled);
  });

  it("runs the pipeline's steps into an article that is only the draft's text, title first, its note last", async () => {
    let post = await text("Write a short announcement about the new search feature for customers.");
    let previous: string | undefined;
    let feedback = "";
    for (let round = 0; round < 3; round += 1) {
      post = previous === undefined ? await text(polishPrompt(post)) : await text(revisePrompt(previous, feedback));
      const review = await structured("review", reviewPrompt(post, pipelineCriteria), Review);
      if (review.pass) break;
      previous = post;
      feedback = review.feedback;
    }
    const [title, , body, , note, ...rest] = post.split("\n");
    expect(title).toBe("# New Search Feature");
    expect(body).toMatch(/^This announcement for customers is about the new search feature\. .* Try it today\.$/);
    expect(note).toMatch(/^\(Draft by Switchboard's offline model/);
    expect(rest).toEqual([]);
    expect(post).not.toMatch(/Here is|Rewritten by/);

    const french = await text(translatePrompt("French", post));
    expect(french).toBe(`[French translation unavailable with the offline model; English text kept]\n${post}`);
  });

  it.each(["French", "German", "Spanish", "Brazilian Portuguese"])("says it cannot translate into %s and keeps the text as it was", async (language) => {
    const post = "# New Search\n\nOur new search finds orders in a second.\n\n- Faster\n- Simpler\n\nTry it today.";
    const answers = await Promise.all([1, 2].map(() => text(translatePrompt(language, post))));
    expect(answers).toEqual([0, 1].map(() => `[${language} translation unavailable with the offline model; English text kept]\n${post}`));
  });

  it.each([
    ["Translate this to german:\nGuten Tag is what we say.", "German", "Guten Tag is what we say."],
    ["Translate the following into Italian: Hello there.", "Italian", "Hello there."],
    ["Please translate it to French and keep the formatting:\n  - one\n  - two", "French", "  - one\n  - two"],
  ])("reads %j as a translation request", async (prompt, language, kept) => {
    expect(await text(prompt)).toBe(`[${language} translation unavailable with the offline model; English text kept]\n${kept}`);
  });

  it("takes the language from the step's instructions when the prompt is the text alone", async () => {
    expect(await text("Hello there.", "Translate into Dutch.")).toBe("[Dutch translation unavailable with the offline model; English text kept]\nHello there.");
  });
});

describe("offline model: planner steps", () => {
  const Plan = (max: number) => z.object({ subtasks: z.array(z.object({ title: z.string(), task: z.string() })).min(1).max(max) });
  const request = "Research the market for electric bikes, draft a comparison table and write a summary for the board";

  it("returns one subtask per independent part of the request", async () => {
    const plan = await structured("plan", request, Plan(5));
    expect(plan.subtasks.map((subtask) => subtask.task)).toEqual([
      "Research the market for electric bikes",
      "Draft a comparison table",
      "Write a summary for the board",
    ]);
    expect(plan.subtasks[0]?.title).toBe("Research the Market for Electric Bikes");
  });

  it("keeps within maxItems, folding the parts past it into the last subtask", async () => {
    const plan = await structured("plan", request, Plan(2));
    expect(plan.subtasks.map((subtask) => subtask.task)).toEqual([
      "Research the market for electric bikes",
      "Draft a comparison table; Write a summary for the board",
    ]);
  });

  it("repeats parts to reach minItems", async () => {
    const AtLeastTwo = z.object({ steps: z.array(z.string()).min(2).max(4) });
    expect(await structured("plan", "Draft a comparison table", AtLeastTwo)).toEqual({ steps: ["Draft a comparison table", "Draft a comparison table"] });
  });
});

describe("offline model: evaluator steps", () => {
  const draft = "Our new search finds orders in a second. It works across every store you run!";

  it("scores a draft failing 2 of 4 criteria and lists the failures as written", async () => {
    const criteria = ["At most 10 words", 'Mentions "search"', "Starts with a title line", "Ends with a call to action"];
    expect(await structured("review", reviewPrompt(draft, criteria), Review)).toEqual({
      pass: false,
      score: 5,
      feedback: "- At most 10 words\n- Starts with a title line",
    });
  });

  it("scales the score to the schema's maximum and passes a draft that meets every criterion", async () => {
    const Scored = z.object({ score: z.int().min(0).max(5), pass: z.boolean() });
    expect(await structured("review", reviewPrompt(draft, ['Mentions "SEARCH"', "At least 5 words"]), Scored)).toEqual({ score: 5, pass: true });
    const failing = await structured("review", reviewPrompt(draft, ['Mentions "refunds"', "At least 5 words", "Ends with a call to action"]), Scored);
    expect(failing).toEqual({ score: 3, pass: false });
  });

  it("counts criteria it does not recognize as met and names them nowhere", async () => {
    const review = await structured("review", reviewPrompt(draft, ["Sounds warm and friendly", "No exclamation marks", 'Mentions "search"']), Review);
    expect(review).toEqual({ pass: false, score: 5, feedback: "- No exclamation marks" });
  });

  it("says so when every criterion is met", async () => {
    const review = await structured("review", reviewPrompt("# Search\n\nOur new search is here. Try it today.", CRITERIA), Review);
    expect(review).toEqual({ pass: true, score: 10, feedback: "All criteria met." });
  });

  it.each([
    ["Try it today.", true],
    ["Please share your feedback.", true],
    ["Don't miss it.", true],
    ["It is ready!", true],
    ["It is ready.", false],
    ["The specifics still need to be added.", false],
  ])("ends with a call to action: %j → %s", async (last, met) => {
    const review = await structured("review", reviewPrompt(`Our new search is here. ${last}`, ["Ends with a call to action"]), Review);
    expect(review.pass).toBe(met);
  });
});

describe("offline model: revision steps", () => {
  it("fixes only the first failed criterion of the feedback", async () => {
    const draft = "Our new search finds orders in a second. It works across every store you run!";
    const revised = await text(`Draft:\n${draft}\n\nFeedback:\n- No exclamation marks\n- Starts with a title line`);
    expect(revised).toBe("Our new search finds orders in a second. It works across every store you run.");
  });

  it("finds the sections by their header lines, in either order", async () => {
    const draft = "Our new search finds orders in a second. It works across every store you run.";
    const revised = await text(`Feedback:\n- Starts with a title line\n\nDraft:\n${draft}`, "Revise the draft.");
    expect(revised).toBe(`# New Search\n\n${draft}`);
  });

  const closed = "Our new search finds orders in a second. It works across every store. Try it today.";

  it.each([
    ['Mentions "refunds"', "Our new search finds orders in a second. It also covers refunds. It works across every store. Try it today."],
    ["At most 12 words", "Our new search finds orders in a second. Try it today."],
    ["At most 5 words", "Our new search finds orders."],
  ])("fixes %j, keeping the opening and the closing sentence while it can", async (criterion, expected) => {
    expect(await text(`Draft:\n${closed}\n\nFeedback:\n- ${criterion}`)).toBe(expected);
  });

  it("skips feedback the draft already meets", async () => {
    const revised = await text(`Draft:\n${closed}\n\nFeedback:\n- Ends with a call to action\n- Starts with a title line`);
    expect(revised).toBe(`# New Search\n\n${closed}`);
  });

  it("lengthens a draft with sentences about its topic, before its closing sentence", async () => {
    const revised = await text("Draft:\nThe new search feature is live. Try it today.\n\nFeedback:\n- At least 20 words");
    expect(revised).toBe(
      "The new search feature is live. Here is what new search feature means for you. There is more to say about new search feature. Try it today.",
    );
  });

  it("returns the draft unchanged when the feedback names nothing to fix", async () => {
    const draft = "Our new search is here.";
    expect(await text(`Draft:\n${draft}\n\nFeedback:\nAll criteria met.`)).toBe(draft);
  });
});

describe("offline model: a draft → review → revise loop", () => {
  it("converges in as many revisions as the draft has failed criteria", async () => {
    let draft = await text("Write a short announcement about the new search feature for customers", "You write product announcements.");
    expect(draft.split("\n")[0]).not.toMatch(/^# /);
    const reviews: z.infer<typeof Review>[] = [];
    let revisions = 0;
    for (let round = 0; round < 5; round += 1) {
      const review = await structured("review", reviewPrompt(draft), Review);
      reviews.push(review);
      if (review.pass) break;
      draft = await text(`Draft:\n${draft}\n\nFeedback:\n${review.feedback}`, "Revise the draft to address the feedback.");
      revisions += 1;
    }
    expect(revisions).toBe(2);
    expect(reviews.map((review) => [review.score, review.feedback])).toEqual([
      [5, "- Starts with a title line\n- Ends with a call to action"],
      [8, "- Ends with a call to action"],
      [10, "All criteria met."],
    ]);
    const [title, , body, , note] = draft.split("\n");
    expect(title).toBe("# New Search Feature");
    expect(body).toMatch(/^This announcement for customers is about the new search feature\. .* Try it today\.$/);
    // The offline model's note stays last, outside the reviewed text.
    expect(note).toMatch(/^\(Draft by Switchboard's offline model/);
  });
});

describe("offline model: structured output is always valid JSON for its schema", () => {
  const schemas: Record<string, z.ZodType> = {
    triage: z.object({ kind: Kind.shape.kind, orderId: z.string().min(1).max(12), urgent: z.boolean(), confidence: z.number().min(0).max(1) }),
    plan: z.object({ goal: z.string().max(40), subtasks: z.array(z.object({ title: z.string().min(3), task: z.string(), priority: z.enum(["low", "high"]) })).min(2).max(3) }),
    nested: z.object({ customer: z.object({ name: z.string(), tier: z.literal("gold") }), items: z.array(z.int().min(1).max(9)).max(2), note: z.string().nullable() }),
    review: Review.extend({ rounds: z.int().min(1).max(3) }),
    bare: z.array(z.string()).min(1),
  };
  const prompts = [
    "my order 4411 arrived damaged",
    "hello",
    "",
    "Criteria:\n- At most 5 words\n\nDraft:\nOne two three four five six seven.",
    "Research electric bikes and draft a table, then write a summary for the board; also check prices",
  ];

  it.each(Object.keys(schemas))("%s", async (name) => {
    const schema = schemas[name] as z.ZodType;
    for (const prompt of prompts) await structured(name, prompt || " ", schema);
  });
});

describe("offline model: a manager offered a workflow", () => {
  const team: HandoffCandidate[] = [
    { name: "calculator", description: "Does exact arithmetic and unit conversions: percentages, powers, roots and converting between units." },
    { name: "researcher", description: "Answers questions about how Switchboard works by searching its documentation." },
    { name: "writer", description: "Writes and rewrites text: drafts, summaries, announcements." },
  ];
  const toolSchema = (schema: z.ZodObject) => {
    const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: "input" }) as Record<string, unknown>;
    return json;
  };
  const tools: ChatCompletionTool[] = [
    { type: "function", function: { name: "transfer", description: TRANSFER_DESCRIPTION, parameters: toolSchema(transferParameters(team)) } },
    { type: "function", function: { name: "delegate", description: DELEGATE_DESCRIPTION, parameters: toolSchema(delegateParameters(team)) } },
    {
      type: "function",
      function: {
        name: "run_order_triage",
        description: "Order exception triage: classifies what went wrong with a customer's order (damaged, wrong item or late) and routes it to its handler.",
        parameters: toolSchema(z.object({ orderId: z.string().describe("the order number"), message: z.string().describe("the customer's message") })),
      },
    },
  ];
  const instructions = "You are the manager. Route each request to the agent or workflow that fits.";
  const ask = (messages: ChatCompletionMessageParam[]): Promise<ChatCompletion> => client.chat.completions.create({ model: "offline", messages, tools });

  it("runs the workflow that fits better than any agent, with arguments from the request, and answers from its output", async () => {
    const request = "my order 4411 arrived damaged";
    const messages: ChatCompletionMessageParam[] = [{ role: "system", content: instructions }, { role: "user", content: request }];
    const first = await ask(messages);
    const call = first.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("run_order_triage");
    expect(JSON.parse(call.function.arguments)).toEqual({ orderId: "4411", message: request });

    messages.push(
      { role: "assistant", content: null, tool_calls: [call] },
      {
        role: "tool",
        tool_call_id: call.id,
        // As the agent loop hands a workflow's result back.
        content: JSON.stringify({ workflow: "order-triage", status: "completed", output: { kind: "damaged", refundId: "R-1001", status: "refunded" } }),
      },
    );
    const answer = await ask(messages);
    expect(answer.choices[0]?.finish_reason).toBe("stop");
    expect(answer.choices[0]?.message.content).toBe("The order triage workflow finished. Kind: damaged; refund id: R-1001; status: refunded.");

    const failed = [...messages.slice(0, -1), { role: "tool" as const, tool_call_id: call.id, content: JSON.stringify({ workflow: "order-triage", status: "failed", reason: "no order 9999 on record" }) }];
    expect((await ask(failed)).choices[0]?.message.content).toBe("The order triage workflow failed: no order 9999 on record.");
  });

  it("still hands a request an agent fits to that agent", async () => {
    const completion = await ask([{ role: "system", content: instructions }, { role: "user", content: "convert 5 miles to km" }]);
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" ? [call.function.name, JSON.parse(call.function.arguments).agent] : undefined).toEqual(["transfer", "calculator"]);
  });

  it("introduces the team when nothing fits", async () => {
    const completion = await ask([{ role: "system", content: instructions }, { role: "user", content: "hello" }]);
    expect(completion.choices[0]?.message.content).toContain("I can hand work to");
  });
});
