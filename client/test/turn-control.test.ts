import { describe, expect, it } from "vitest";
import { deriveChatItems } from "../src/chat-items.js";
import { deriveRuns } from "../src/runs.js";
import { deriveTurnView } from "../src/turn-control.js";
import { CONVERSATION, event, step, usage } from "./fixtures.js";

const totals = { usage, latencyMs: 5, costUsd: 0.0001, steps: [step(0)] };

describe("turn control in the page", () => {
  it("sees a turn running from its message until every run of it has ended, stopped ones included", () => {
    const user = event("message.user", { text: "hi" });
    const root = `${CONVERSATION}-${user.id}`;
    const started = event("run.started", { task: "hi", model: "m", depth: 0, mode: "turn" }, { runId: root, agent: "manager" });
    expect(deriveTurnView(CONVERSATION, [user]).running).toBe(true);
    expect(deriveTurnView(CONVERSATION, [user, started]).running).toBe(true);
    const stopped = event("run.cancelled", { by: "ann", reason: "Stopped by ann.", partialText: "Half an", ...totals }, { runId: root, agent: "manager" });
    const view = deriveTurnView(CONVERSATION, [user, started, stopped]);
    expect(view).toEqual({ running: false, lastUserId: user.id, lastAnswerId: undefined });
    expect(deriveRuns([user, started, stopped]).byId.get(root)).toMatchObject({ status: "cancelled", stoppedBy: "ann" });
    expect(deriveChatItems([user, started, stopped]).map((item) => item.kind)).toEqual(["message", "run-cancelled"]);
  });

  it("offers Retry on the newest answer once its turn ended, and folds what a retry replaced into one item", () => {
    const first = event("message.user", { text: "2 + 3?" });
    const root = `${CONVERSATION}-${first.id}`;
    const answer = event("message.agent", { text: "5" }, { runId: root, agent: "manager" });
    const done = event("run.completed", { outcome: "answered", ...totals }, { runId: root, agent: "manager" });
    expect(deriveTurnView(CONVERSATION, [first, answer, done])).toEqual({ running: false, lastUserId: first.id, lastAnswerId: answer.id });
    expect(deriveTurnView(CONVERSATION, [first, answer]).lastAnswerId).toBeUndefined();

    const again = event("message.user", { text: "2 + 3?", replaces: first.id, mode: "retry" });
    const second = event("message.agent", { text: "Five" }, { runId: `${CONVERSATION}-${again.id}`, agent: "manager" });
    const items = deriveChatItems([first, answer, done, again, second]);
    expect(items.map((item) => item.kind)).toEqual(["replaced", "message", "message"]);
    const [replaced] = items;
    expect(replaced?.kind === "replaced" && replaced.items.map((item) => item.key)).toEqual([first.id, answer.id]);
    expect(replaced?.kind === "replaced" && replaced.by).toBe(again.id);
  });
});
