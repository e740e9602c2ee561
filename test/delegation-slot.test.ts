import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../shared/events.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";

// One job at a time per agent: if a delegating manager kept its worker slot, nothing else could run on it.
// One shard, so both conversations' turns are on the one worker (each shard has a worker of its own).
let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ env: { SWITCHBOARD_CONCURRENCY: "1", SWITCHBOARD_SHARDS: "1", OFFLINE_MODEL_DELAY_MS: "10" } });
});
afterAll(async () => platform.close());

describe("delegation", () => {
  it("pauses the manager without holding its worker: another conversation's turn runs meanwhile", async () => {
    const delegating = await platform.api.createConversation();
    await platform.api.send(delegating, "convert 5 miles to km, and summarize how handoffs work");
    await platform.api.waitFor(delegating, (events) => events.filter((e) => e.type === "handoff").length === 2);

    const other = await platform.api.createConversation();
    await platform.api.send(other, "What is 2 + 3?");
    const otherEvents = await platform.api.waitFor(other, (events) => events.some((e) => e.type === "run.completed" && e.agent === "manager"));
    const delegatingSoFar = await platform.api.events(delegating);
    const managerDone = (events: Event[]) => events.some((e) => e.type === "run.completed" && e.agent === "manager");
    // The other conversation's manager finished its turn while the delegating one was still waiting.
    expect(managerDone(otherEvents)).toBe(true);
    expect(managerDone(delegatingSoFar)).toBe(false);

    const finished = await platform.api.waitFor(delegating, turnFinished);
    expect(finished.filter((e) => e.type === "handoff.return")).toHaveLength(2);
    expect(managerDone(finished)).toBe(true);
  });
});
