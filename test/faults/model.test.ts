/**
 * A model server that misbehaves in every way test/model-faults.test.ts knows, against the whole
 * platform over a real HTTP hop: the model is the test chat-completions server (the offline model
 * behind it), and only what it sends is scripted. Each case asks one question that the server
 * answers with its fault, then a good question in the same conversation.
 *
 * - Permanent faults (an HTML page, no reply, an empty answer, a body that is not JSON, malformed
 *   stream data, a 500 whose body holds a secret, a 429 storm, a hang before the first token) fail
 *   the run at once, with a reason for people that never carries the server's body.
 * - Faults the SDK retries (a burst of 429s, one 503) end in an answer.
 * - Transient faults (a stream cut mid-way, a stall mid-stream, a stream that ends without a
 *   finish reason) happen on the first attempt only: the runtime retries the model step (logging
 *   `run.retrying`) and the run completes with an answer. These need the runtime's step retry.
 *
 * In every case the run ends, nothing is logged twice, and the next good message is answered.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, EventOf } from "../../shared/events.js";
import { turnFinished } from "../../shared/turn-status.js";
import { startChatCompletionsServer, type ChatCompletionsServer, type ScriptedCut, type ScriptedFault, type ScriptedReply } from "../support/chat-completions-server.js";
import { startPlatform, type Platform } from "../support/harness.js";
import { recordFaultRow } from "./support/fault-table.js";
import { loggedTwice } from "./support/follow.js";

/** Text only the model server knows: it must never reach a reason, an event or a response. */
const SECRET = `model-secret-${randomUUID()}`;
const FIRST_TOKEN_MS = 2500;
const IDLE_MS = 1500;

type Group = "permanent" | "sdk-retried" | "transient";

interface FaultCase {
  name: string;
  group: Group;
  /** What the server does with a request of this case; `attempt` counts them from 0. */
  serve(attempt: number): { fault?: ScriptedFault; reply?: ScriptedReply; cut?: ScriptedCut; hang?: true } | undefined;
  /** For permanent faults: the reason the person reads. */
  reason?: RegExp;
  /** For permanent faults: the requests the server gets (the SDK's own retries; never a retried step). */
  requests?: number;
}

const HTML = `<!doctype html><html><head><title>Sign in</title></head><body><form>Sign in (${SECRET})</form></body></html>`;
const chunk = (delta: Record<string, unknown>, finish: string | null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-x", object: "chat.completion.chunk", created: 0, model: "local-model", choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;

const CASES: FaultCase[] = [
  {
    name: "an HTML page with status 200",
    group: "permanent",
    serve: () => ({ reply: { contentType: "text/html; charset=utf-8", body: HTML } }),
    reason: /answered with an HTML page, not the OpenAI chat completions API: check OPENAI_BASE_URL/,
    requests: 1,
  },
  {
    name: "an empty reply (a stream with no choices)",
    group: "permanent",
    serve: () => ({ reply: { contentType: "text/event-stream", body: "data: [DONE]\n\n" } }),
    reason: /sent no answer .*OPENAI_BASE_URL/,
    requests: 1,
  },
  {
    name: "an empty answer (finished, no text, no tool call)",
    group: "permanent",
    serve: () => ({ reply: { contentType: "text/event-stream", body: `${chunk({ role: "assistant", content: "" }, null)}${chunk({}, "stop")}data: [DONE]\n\n` } }),
    reason: /sent an empty answer/,
    requests: 1,
  },
  {
    name: "unreadable JSON (a 200 JSON body cut short)",
    group: "permanent",
    serve: () => ({ reply: { contentType: "application/json", body: `{"id": "x", "choices": [{"message": "${SECRET}` } }),
    reason: /OPENAI_BASE_URL/,
    requests: 1,
  },
  {
    name: "malformed stream data (not JSON), the connection left open",
    group: "permanent",
    serve: () => ({ reply: { contentType: "text/event-stream", body: `data: {"id": ${SECRET} oops\n\n`, then: "hang" } }),
    reason: /not valid JSON/,
    requests: 1,
  },
  {
    name: "a 500 whose body holds a secret",
    group: "permanent",
    serve: () => ({ fault: { status: 500, message: `segfault in /opt/${SECRET}/model.py line 42` } }),
    reason: /^The model service failed \(500\) after retries; try again later\.$/,
    requests: 4,
  },
  {
    name: "a 429 storm (every attempt refused)",
    group: "permanent",
    serve: () => ({ fault: { status: 429, message: `quota exceeded for org ${SECRET}` } }),
    reason: /rate limiting us \(429\)/,
    requests: 4,
  },
  {
    name: "a hang before the first token",
    group: "permanent",
    serve: (attempt) => (attempt === 0 ? { hang: true } : undefined),
    reason: new RegExp(`did not answer within ${FIRST_TOKEN_MS / 1000} s`),
    requests: 1,
  },
  {
    name: "a burst of two 429s, then answers",
    group: "sdk-retried",
    serve: (attempt) => (attempt < 2 ? { fault: { status: 429, message: `slow down ${SECRET}` } } : undefined),
  },
  {
    name: "one 503, then answers",
    group: "sdk-retried",
    serve: (attempt) => (attempt === 0 ? { fault: { status: 503, message: `overloaded ${SECRET}` } } : undefined),
  },
  {
    name: "a stream cut mid-way (connection dropped), first attempt only",
    group: "transient",
    serve: (attempt) => (attempt === 0 ? { cut: { afterEvents: 2, then: "destroy" } } : undefined),
  },
  {
    name: "a stall mid-stream (silent past SWITCHBOARD_MODEL_IDLE_MS), first attempt only",
    group: "transient",
    serve: (attempt) => (attempt === 0 ? { cut: { afterEvents: 2, then: "hang" } } : undefined),
  },
  {
    name: "a stream that ends without a finish reason, first attempt only",
    group: "transient",
    serve: (attempt) => (attempt === 0 ? { cut: { afterEvents: 2, then: "end" } } : undefined),
  },
];

/** The case a request belongs to: its last user message names it. */
const TAG = /\[fault (\d+)\]/;
function caseOf(body: unknown): { index: number; testCase: FaultCase } | undefined {
  const messages = (body as { messages?: { role: string; content?: unknown }[] } | undefined)?.messages ?? [];
  const last = [...messages].reverse().find((message) => message.role === "user");
  const index = Number(TAG.exec(typeof last?.content === "string" ? last.content : "")?.[1] ?? Number.NaN);
  const testCase = CASES[index];
  return testCase ? { index, testCase } : undefined;
}

let model: ChatCompletionsServer;
let platform: Platform;
let releaseHangs: () => void = () => {};
const hung = new Promise<void>((resolve) => (releaseHangs = resolve));
/** Requests seen per case, and what each was served. */
const attempts = new Map<number, number>();
/** The plan for each request body, decided once (the server asks for faults, replies, holds and cuts in turn). */
const plans = new WeakMap<object, ReturnType<FaultCase["serve"]>>();

function planFor(body: unknown): ReturnType<FaultCase["serve"]> {
  if (typeof body !== "object" || body === null) return undefined;
  if (plans.has(body)) return plans.get(body);
  const found = caseOf(body);
  let plan: ReturnType<FaultCase["serve"]>;
  if (found) {
    const attempt = attempts.get(found.index) ?? 0;
    attempts.set(found.index, attempt + 1);
    plan = found.testCase.serve(attempt);
  }
  plans.set(body, plan);
  return plan;
}

interface Tally {
  cases: number;
  turns: number;
  /** Turns sent and not (yet) finished: at the end, the lost ones. */
  open: number;
  unanswered: number;
  failed: number;
  duplicated: number;
  http5xx: number;
  leaks: number;
  retries: number;
  recorded: boolean;
}
const tallies: Record<Group, Tally> = {
  permanent: blankTally(),
  "sdk-retried": blankTally(),
  transient: blankTally(),
};
function blankTally(): Tally {
  return { cases: 0, turns: 0, open: 0, unanswered: 0, failed: 0, duplicated: 0, http5xx: 0, leaks: 0, retries: 0, recorded: false };
}

beforeAll(async () => {
  model = await startChatCompletionsServer({
    faults: (_index, body) => planFor(body)?.fault,
    replies: (_index, body) => planFor(body)?.reply,
    hold: (_index, body) => (planFor(body)?.hang ? hung : undefined),
    cuts: (_index, body) => planFor(body)?.cut,
  });
  platform = await startPlatform({
    env: {
      OPENAI_BASE_URL: model.baseUrl,
      SWITCHBOARD_MODEL: "local-model",
      SWITCHBOARD_MODEL_FIRST_TOKEN_MS: String(FIRST_TOKEN_MS),
      SWITCHBOARD_MODEL_IDLE_MS: String(IDLE_MS),
    },
  });
}, 120_000);

afterAll(async () => {
  for (const group of Object.keys(tallies) as Group[]) if (!tallies[group].recorded) record(group);
  releaseHangs();
  await platform?.close();
  await model?.close();
});

/** Posts a message over REST and follows its turn to the end; the 5xx it met are counted. */
async function turn(tally: Tally, conversationId: string, text: string): Promise<Event[]> {
  tally.turns++;
  tally.open++;
  const posted = await platform.api.request("POST", `/api/conversations/${conversationId}/messages`, { text });
  if (posted.status >= 500) tally.http5xx++;
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  const events = await platform.api.waitFor(conversationId, turnFinished, { after: posted.body.eventId as string });
  tally.open--;
  return events;
}

const runsFailed = (events: Event[]) => events.filter((e): e is EventOf<"run.failed"> => e.type === "run.failed");

async function runCase(index: number, testCase: FaultCase): Promise<void> {
  const tally = tallies[testCase.group];
  tally.cases++;
  const conversationId = await platform.api.createConversation();
  const faulted = await turn(tally, conversationId, `What is 17.5% of 2,480? [fault ${index}]`);

  // The fault's turn: it ended, as the case says it should.
  const failures = runsFailed(faulted);
  const answered = faulted.some((e) => e.type === "message.agent");
  if (testCase.group === "permanent") {
    if (!answered && failures.length === 0) tally.unanswered++;
  } else {
    if (!answered) tally.unanswered++;
    if (failures.length > 0) tally.failed++;
  }
  tally.retries += faulted.filter((e) => e.type === "run.retrying").length;
  // Nothing of the server's body reached the log, nor anything the API answers.
  const log = await platform.api.request("GET", `/api/conversations/${conversationId}/events`);
  if (log.status >= 500) tally.http5xx++;
  if (JSON.stringify(log.body).includes(SECRET)) tally.leaks++;

  // The next good message in the same conversation is answered.
  const next = await turn(tally, conversationId, "And what is 12 times 12?");
  if (!next.some((e) => e.type === "message.agent")) tally.unanswered++;
  if (runsFailed(next).length > 0) tally.failed++;
  const all = await platform.api.events(conversationId);
  tally.duplicated += loggedTwice(all).length;

  expect(JSON.stringify(all)).not.toContain(SECRET);
  expect(loggedTwice(all)).toEqual([]);
  expect(runsFailed(next).map((e) => e.data.reason)).toEqual([]);
  expect(next.some((e) => e.type === "message.agent")).toBe(true);
  if (testCase.group === "permanent") {
    expect(failures.map((e) => e.data.code)).toEqual(["model_error"]);
    expect(failures[0]?.data.reason).toMatch(testCase.reason ?? /./);
    expect(answered).toBe(false);
    expect(attempts.get(index), "requests the model server got for the fault's turn").toBe(testCase.requests);
  } else {
    expect(failures.map((e) => e.data.reason), "the run should have completed").toEqual([]);
    expect(answered).toBe(true);
    if (testCase.group === "transient") {
      const retrying = faulted.filter((e): e is EventOf<"run.retrying"> => e.type === "run.retrying");
      expect(retrying.map((e) => e.data.attempt)).toEqual([2]);
      expect(JSON.stringify(retrying)).not.toContain(SECRET);
    }
  }
}

const ROWS: Record<Group, { scenario: string; faults: (n: number) => string }> = {
  permanent: { scenario: "model: permanent faults", faults: (n) => `${n} kinds: HTML 200, no reply, empty answer, unreadable JSON, malformed stream, 500 with a secret body, 429 storm, hang before the first token` },
  "sdk-retried": { scenario: "model: faults the SDK retries", faults: (n) => `${n} kinds: two 429s, one 503` },
  transient: { scenario: "model: transient faults (step retry)", faults: (n) => `${n} kinds, first attempt only: stream cut, stall mid-stream, no finish reason` },
};

function record(group: Group): void {
  const tally = tallies[group];
  tally.recorded = true;
  recordFaultRow({
    scenario: ROWS[group].scenario,
    load: `${tally.turns} turns in ${tally.cases} conversations`,
    faults: ROWS[group].faults(tally.cases),
    lost: tally.unanswered + tally.open,
    duplicated: tally.duplicated,
    failed: tally.failed,
    http5xx: tally.http5xx,
    crashes: 0,
    extra: { "server bodies in reasons or events": tally.leaks, ...(group === "transient" ? { "run.retrying logged": tally.retries } : {}) },
  });
}

async function expectTargets(group: Group): Promise<void> {
  // The platform still answers at all: a crash of the agents or the server shows here.
  const health = await platform.api.request("GET", "/api/health");
  record(group);
  expect(health.status).toBe(200);
  expect(tallies[group]).toMatchObject({ open: 0, unanswered: 0, failed: 0, duplicated: 0, http5xx: 0, leaks: 0 });
}

describe("permanent model faults fail the run at once, with a reason for people", () => {
  for (const [index, testCase] of CASES.entries()) if (testCase.group === "permanent") it(testCase.name, () => runCase(index, testCase));
  it("meets the targets", () => expectTargets("permanent"));
});

describe("faults the SDK retries end in an answer", () => {
  for (const [index, testCase] of CASES.entries()) if (testCase.group === "sdk-retried") it(testCase.name, () => runCase(index, testCase));
  it("meets the targets", () => expectTargets("sdk-retried"));
});

describe("transient faults: the model step is retried and the run completes (needs the runtime's step retry)", () => {
  for (const [index, testCase] of CASES.entries()) if (testCase.group === "transient") it(testCase.name, () => runCase(index, testCase));
  it("meets the targets", () => expectTargets("transient"));
});
