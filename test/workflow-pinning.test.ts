import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventOf } from "../shared/events.js";
import type { WorkflowSummary } from "../shared/workflow.js";
import { restartAgents, startPlatform, type Platform } from "./support/harness.js";
import { approvalAsked, path as stepPath, runEnded, runView, startRun } from "./support/workflow-client.js";

const catalog = mkdtempSync(path.join(tmpdir(), "switchboard-pinning-"));
const file = path.join(catalog, "sign-off.yaml");

function writeVersion(last: string): void {
  writeFileSync(
    file,
    [
      "kind: workflow",
      "name: sign-off",
      "description: Drafts a note, asks for sign-off, then finishes it.",
      "input: { type: object, properties: { topic: { type: string } }, required: [topic] }",
      "steps:",
      "  - llm: note",
      '    prompt: "Write a one-line note about {{topic}}"',
      "  - approval: sign-off",
      `  - llm: ${last}`,
      '    prompt: "Finish this note: {{.}}"',
    ].join("\n"),
  );
}

let platform: Platform;
beforeAll(async () => {
  writeVersion("finish-v1");
  platform = await startPlatform({ catalogDir: catalog });
});
afterAll(async () => platform.close());

describe("a run is pinned to the definition it started with", () => {
  it("finishes on its own version after the catalog file changed and the agents restarted", async () => {
    const { runId, conversationId } = await startRun(platform.api, "sign-off", { topic: "pinning" });
    const asked = (await platform.api.waitFor(conversationId, approvalAsked(runId))).find((e): e is EventOf<"approval.requested"> => e.type === "approval.requested");
    const startedOn = (await runView(platform.api, runId)).version;

    writeVersion("finish-v2");
    await restartAgents(platform, { catalogDir: catalog });
    const current = (await platform.api.request("GET", "/api/workflows/sign-off")).body as unknown as WorkflowSummary;
    expect(current.version).not.toBe(startedOn);
    expect(current.graph.nodes.map((node) => node.id)).toContain("finish-v2");

    await platform.api.request("POST", `/api/approvals/${asked?.data.approvalId}`, { decision: "approve" });
    const events = await platform.api.waitFor(conversationId, runEnded(runId));
    expect(stepPath(events, runId)).toEqual(["note", "sign-off", "finish-v1"]);
    expect((await runView(platform.api, runId)).version).toBe(startedOn);

    const next = await startRun(platform.api, "sign-off", { topic: "the new version" });
    const nextEvents = await platform.api.waitFor(next.conversationId, approvalAsked(next.runId));
    expect(nextEvents.find((e) => e.type === "workflow.started")?.data).toMatchObject({ version: current.version });
  });
});
