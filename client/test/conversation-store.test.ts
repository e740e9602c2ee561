import { describe, expect, it } from "vitest";
import type { Event } from "../../shared/events.js";
import type { StreamedText } from "../../shared/streamed-text.js";
import { conversationReducer, initialConversationState, type ConversationAction, type ConversationState } from "../src/conversation-store.js";
import { CONVERSATION, event, nextId, step, usage } from "./fixtures.js";

const reduce = (state: ConversationState, ...actions: ConversationAction[]): ConversationState =>
  actions.reduce(conversationReducer, state);
const ids = (state: ConversationState): string[] => state.events.map((item) => item.id);
const join = (events: Event[], after?: string): ConversationAction => ({ type: "history", events, source: "join", after, at: 1 });
const live = (item: Event, at = 5): ConversationAction => ({ type: "live", event: item, at });
const delta = (runId: string, text: string, agent = "calculator", attempt?: number): ConversationAction => ({
  type: "delta",
  delta: { conversationId: CONVERSATION, runId, agent, text, ...(attempt === undefined ? {} : { attempt }) },
});
const retrying = (runId: string, attempt: number, replacedText: string): Event =>
  event("run.retrying", { step: 0, attempt, maxAttempts: 3, reason: "cut", replacedText }, { runId, agent: "calculator" });

describe("events", () => {
  it("keeps one copy of each event, in stream order, whatever order and path they arrive by", () => {
    const a = event("message.user", { text: "a" }, { id: "1700000000000-0" });
    const b = event("message.user", { text: "b" }, { id: "1700000000000-1" });
    const c = event("message.user", { text: "c" }, { id: "1700000000001-0" });
    const d = event("message.user", { text: "d" }, { id: "1700000000010-0" });
    const state = reduce(initialConversationState(CONVERSATION), live(c), join([a, c, b]), live(b), join([d, c]), live(d));
    expect(ids(state)).toEqual([a.id, b.id, c.id, d.id]);
    expect(state.byId.size).toBe(4);
  });

  it("orders ids numerically, not as strings", () => {
    const early = event("message.user", { text: "early" }, { id: "999-5" });
    const late = event("message.user", { text: "late" }, { id: "1000-0" });
    const seqTen = event("message.user", { text: "ten" }, { id: "999-10" });
    const state = reduce(initialConversationState(CONVERSATION), join([late, seqTen, early]));
    expect(ids(state)).toEqual(["999-5", "999-10", "1000-0"]);
  });

  it("ignores events of another conversation", () => {
    const other = { ...event("message.user", { text: "x" }), conversationId: "conv_other_1" } as Event;
    expect(reduce(initialConversationState(CONVERSATION), join([other])).events).toHaveLength(0);
  });
});

describe("cursor", () => {
  it("moves with a join and with live events while joined", () => {
    const a = event("message.user", { text: "a" });
    const b = event("message.user", { text: "b" });
    const state = reduce(initialConversationState(CONVERSATION), join([a]), live(b));
    expect(state.cursor).toBe(b.id);
    expect(state.synced).toBe(true);
  });

  it("does not move for a live event that races ahead of the join acknowledgement", () => {
    const a = event("message.user", { text: "a" });
    const b = event("message.user", { text: "b" });
    const c = event("message.user", { text: "c" });
    let state = reduce(initialConversationState(CONVERSATION), join([a]), { type: "disconnected" });
    expect(state.synced).toBe(false);
    state = reduce(state, live(c));
    // c arrived while rejoining; b (before it) is only in the coming acknowledgement.
    expect(state.cursor).toBe(a.id);
    state = reduce(state, join([b, c], a.id));
    expect(state.cursor).toBe(c.id);
    expect(ids(state)).toEqual([a.id, b.id, c.id]);
  });

  it("advances from a REST read only when it continues from the cursor", () => {
    const a = event("message.user", { text: "a" });
    const b = event("message.user", { text: "b" });
    const state = reduce(initialConversationState(CONVERSATION), { type: "history", events: [a, b], source: "rest", after: undefined, at: 1 });
    expect(state.cursor).toBe(b.id);
    expect(state.synced).toBe(false);
    expect(state.loaded).toBe(true);
  });
});

describe("received times", () => {
  it("records none for the first history and one for what arrives later", () => {
    const old = event("handoff", { from: "manager", to: "calculator", mode: "delegate", reason: "r", task: "t", childRunId: "c1", depth: 1 });
    const missed = event("message.user", { text: "missed" });
    const fresh = event("message.user", { text: "fresh" });
    const state = reduce(initialConversationState(CONVERSATION), join([old]), { type: "history", events: [missed], source: "join", after: old.id, at: 7 }, live(fresh, 9));
    expect(state.receivedAt.has(old.id)).toBe(false);
    expect(state.receivedAt.get(missed.id)).toBe(7);
    expect(state.receivedAt.get(fresh.id)).toBe(9);
  });
});

describe("streaming", () => {
  it("appends deltas per run and replaces them with the final message", () => {
    let state = reduce(initialConversationState(CONVERSATION), join([]), delta("r1", "The "), delta("r2", "Other", "writer"), delta("r1", "answer"));
    expect(state.streams.get("r1")?.text).toBe("The answer");
    expect(state.streams.get("r2")?.agent).toBe("writer");
    state = reduce(state, live(event("message.agent", { text: "The answer." }, { runId: "r1", agent: "calculator" })));
    expect(state.streams.has("r1")).toBe(false);
    expect(state.streams.has("r2")).toBe(true);
  });

  it("drops a delta that arrives after its final message", () => {
    const state = reduce(
      initialConversationState(CONVERSATION),
      join([]),
      delta("r1", "Hi"),
      live(event("message.agent", { text: "Hi there" }, { runId: "r1", agent: "calculator" })),
      delta("r1", " there"),
    );
    expect(state.streams.size).toBe(0);
  });

  it("streams again when the run keeps working after a message (text before a tool call)", () => {
    const state = reduce(
      initialConversationState(CONVERSATION),
      join([]),
      live(event("message.agent", { text: "Let me compute." }, { runId: "r1", agent: "calculator" })),
      live(event("tool.call", { toolCallId: "call_0", tool: "evaluate", args: {} }, { runId: "r1", agent: "calculator" })),
      delta("r1", "391"),
    );
    expect(state.streams.get("r1")?.text).toBe("391");
  });

  it("closes the stream for good when the run ends", () => {
    const state = reduce(
      initialConversationState(CONVERSATION),
      join([]),
      delta("r1", "partial"),
      live(event("run.failed", { code: "model_error", reason: "down", usage, latencyMs: 1, costUsd: 0, steps: [] }, { runId: "r1", agent: "calculator" })),
      delta("r1", " more"),
    );
    expect(state.streams.size).toBe(0);
  });

  it("starts the text over when a retried step streams, whichever comes first: its deltas or its retry event", () => {
    const deltaFirst = reduce(initialConversationState(CONVERSATION), join([]), delta("r1", "The ans"), delta("r1", "The", "calculator", 2));
    expect(deltaFirst.streams.get("r1")?.text).toBe("The");
    const withEvent = reduce(deltaFirst, live(retrying("r1", 2, "The ans")), delta("r1", " answer", "calculator", 2));
    expect(withEvent.streams.get("r1")?.text).toBe("The answer");

    const eventFirst = reduce(initialConversationState(CONVERSATION), join([]), delta("r1", "The ans"), live(retrying("r1", 2, "The ans")));
    expect(eventFirst.streams.has("r1")).toBe(false);
    expect(reduce(eventFirst, delta("r1", "Fresh", "calculator", 2)).streams.get("r1")?.text).toBe("Fresh");
  });

  it("drops a late piece of a failed attempt once the retry streams", () => {
    const state = reduce(initialConversationState(CONVERSATION), join([]), delta("r1", "Fresh", "calculator", 2), delta("r1", " stale", "calculator"));
    expect(state.streams.get("r1")?.text).toBe("Fresh");
  });

  it("marks the gap a reconnect may have left in a stream", () => {
    const state = reduce(initialConversationState(CONVERSATION), join([]), delta("r1", "one"), { type: "disconnected" }, delta("r1", "three"));
    expect(state.streams.get("r1")?.text).toBe("one … three");
  });

  it("keeps the newest marker when events arrive out of order", () => {
    const message = event("message.agent", { text: "first" }, { runId: "r1", agent: "calculator" });
    const call = event("tool.call", { toolCallId: "c", tool: "evaluate", args: {} }, { runId: "r1", agent: "calculator" });
    const state = reduce(initialConversationState(CONVERSATION), join([]), live(call), delta("r1", "next"), join([message], undefined));
    expect(state.streams.get("r1")?.text).toBe("next");
  });
});

describe("joining mid-answer", () => {
  const numbered = (runId: string, text: string, seq: number, attempt?: number): ConversationAction => ({
    type: "delta",
    delta: { conversationId: CONVERSATION, runId, agent: "calculator", text, seq, ...(attempt === undefined ? {} : { attempt }) },
  });
  const joinStreaming = (events: Event[], streams: StreamedText[]): ConversationAction => ({ type: "history", events, source: "join", after: undefined, at: 1, streams });
  const started = (runId: string) => event("run.started", { task: "t", model: "m", depth: 0, mode: "turn" }, { runId, agent: "calculator" });

  it("shows the text so far at once, then adds only the deltas after it, whether they came before the acknowledgement or after", () => {
    const state = reduce(
      initialConversationState(CONVERSATION),
      joinStreaming([started("r1")], [{ runId: "r1", agent: "calculator", text: "The answer is", seq: 3 }]),
      // Held while the join was answered: two are in the text already, one is new.
      numbered("r1", " answer", 2),
      numbered("r1", " is", 3),
      numbered("r1", " 42", 4),
      // Published after the text was read, but delivered late: already in.
      numbered("r1", " 42", 4),
      numbered("r1", ".", 5),
    );
    expect(state.streams.get("r1")).toMatchObject({ text: "The answer is 42.", seq: 5, gap: false });
  });

  it("fills a reconnect's gap with the joined text instead of marking it", () => {
    const state = reduce(
      initialConversationState(CONVERSATION),
      join([started("r1")]),
      numbered("r1", "one", 1),
      { type: "disconnected" },
      joinStreaming([], [{ runId: "r1", agent: "calculator", text: "one two three", seq: 3 }]),
      numbered("r1", " four", 4),
    );
    expect(state.streams.get("r1")?.text).toBe("one two three four");
  });

  it("keeps what it holds when the joined text is behind it", () => {
    const state = reduce(
      initialConversationState(CONVERSATION),
      join([started("r1")]),
      numbered("r1", "one", 1),
      numbered("r1", " two", 2),
      joinStreaming([], [{ runId: "r1", agent: "calculator", text: "one", seq: 1 }]),
    );
    expect(state.streams.get("r1")?.text).toBe("one two");
  });

  it("drops joined text the events already hold as a message, or withdraw with a retry", () => {
    const answered = event("message.agent", { text: "The answer." }, { runId: "r1", agent: "calculator" });
    const logged = reduce(initialConversationState(CONVERSATION), joinStreaming([answered], [{ runId: "r1", agent: "calculator", text: "The answer.", seq: 2 }]));
    expect(logged.streams.size).toBe(0);
    const retry = retrying("r1", 2, "The ans");
    const withdrawn = reduce(initialConversationState(CONVERSATION), joinStreaming([retry], [{ runId: "r1", agent: "calculator", text: "The ans", seq: 2 }]));
    expect(withdrawn.streams.size).toBe(0);
  });

  it("keeps joined text that follows the run's last message, even when that message arrives after it", () => {
    const first = event("message.agent", { text: "Let me compute." }, { runId: "r1", agent: "calculator" });
    const call = event("tool.call", { toolCallId: "c", tool: "evaluate", args: {} }, { runId: "r1", agent: "calculator" });
    const next = { runId: "r1", agent: "calculator", text: "It is", seq: 7, after: first.id };
    // The message was logged between the join's read of the log and its read of the text.
    let state = reduce(initialConversationState(CONVERSATION), joinStreaming([started("r1")], [next]), live(first), numbered("r1", " 391", 8));
    expect(state.streams.get("r1")?.text).toBe("It is 391");
    state = reduce(state, live(call), numbered("r1", ".", 9));
    expect(state.streams.get("r1")?.text).toBe("It is 391.");
    // The same, with the message in the acknowledgement itself.
    const acked = reduce(initialConversationState(CONVERSATION), joinStreaming([first], [next]), numbered("r1", " 391", 8));
    expect(acked.streams.get("r1")?.text).toBe("It is 391");
  });
});

describe("outbox", () => {
  const start: ConversationAction = { type: "send-started", clientMsgId: "m1", text: "hello" };

  it("is pending until acknowledged and leaves when the message is in the log", () => {
    let state = reduce(initialConversationState(CONVERSATION), join([]), start);
    expect(state.outbox[0]?.status).toBe("sending");
    const id = nextId();
    state = reduce(state, { type: "send-acked", clientMsgId: "m1", eventId: id });
    expect(state.outbox[0]).toMatchObject({ status: "sent", eventId: id });
    state = reduce(state, live(event("message.user", { text: "hello", clientMsgId: "m1" }, { id })));
    expect(state.outbox).toHaveLength(0);
  });

  it("never shows the message twice when the log is faster than the acknowledgement", () => {
    const id = nextId();
    let state = reduce(initialConversationState(CONVERSATION), join([]), start, live(event("message.user", { text: "hello", clientMsgId: "m1" }, { id })));
    expect(state.outbox).toHaveLength(0);
    state = reduce(state, { type: "send-acked", clientMsgId: "m1", eventId: id });
    expect(state.outbox).toHaveLength(0);
    expect(state.events).toHaveLength(1);
  });

  it("matches by event id when the server does not echo clientMsgId", () => {
    const id = nextId();
    const state = reduce(
      initialConversationState(CONVERSATION),
      join([]),
      start,
      { type: "send-acked", clientMsgId: "m1", eventId: id },
      live(event("message.user", { text: "hello" }, { id })),
    );
    expect(state.outbox).toHaveLength(0);
  });

  it("fails, retries with the same id, and can be discarded", () => {
    let state = reduce(initialConversationState(CONVERSATION), start, { type: "send-failed", clientMsgId: "m1", message: "too long" });
    expect(state.outbox[0]).toMatchObject({ status: "failed", error: "too long" });
    state = reduce(state, { type: "send-retried", clientMsgId: "m1" });
    expect(state.outbox[0]).toMatchObject({ clientMsgId: "m1", status: "sending" });
    state = reduce(state, { type: "send-failed", clientMsgId: "m1", message: "again" }, { type: "send-discarded", clientMsgId: "m1" });
    expect(state.outbox).toHaveLength(0);
  });

  it("ignores the same send twice", () => {
    expect(reduce(initialConversationState(CONVERSATION), start, start).outbox).toHaveLength(1);
  });
});

it("records a failed join without losing what it holds", () => {
  const a = event("message.user", { text: "a" });
  const state = reduce(initialConversationState(CONVERSATION), join([a]), { type: "join-failed", message: "unknown conversation" });
  expect(state.joinError).toBe("unknown conversation");
  expect(state.events).toHaveLength(1);
  expect(step(0).step).toBe(0);
});
