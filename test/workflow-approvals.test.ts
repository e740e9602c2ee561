import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent } from "../agents/define-agent.js";
import { defineTool } from "../agents/define-tool.js";
import { scriptedModel, type ScriptedReply } from "../agents/model/scripted-model.js";
import { builtInAgents } from "../agents/team/built-in-team.js";
import type { Event, EventOf } from "../shared/events.js";
import { defineWorkflow } from "../workflows/define-workflow.js";
import { approval, code } from "../workflows/step.js";
import { shippedWorkflows, shippedWorkflowTools } from "../workflows/shipped.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";
import { approvalAsked, duplicates, ended, path, runEnded, runView, startRun } from "./support/workflow-client.js";

const system = (request: ChatCompletionCreateParams) => {
  const first = request.messages[0];
  return first?.role === "system" && typeof first.content === "string" ? first.content : "";
};
const lastUser = (request: ChatCompletionCreateParams) => {
  const last = [...request.messages].reverse().find((message) => message.role === "user");
  return typeof last?.content === "string" ? last.content : "";
};
const toolResult = (request: ChatCompletionCreateParams) => {
  const last = request.messages.at(-1);
  return last?.role === "tool" && typeof last.content === "string" ? last.content : undefined;
};

const quick = defineWorkflow({ name: "quick-approval", description: "Asks a person, who has one second to answer.", input: z.object({ amount: z.number() }) })
  .step(approval("ok", { title: (input) => `Spend $${input.amount}?`, timeout: "1s", onTimeout: "approve" }))
  .step(code("spend", (input: { amount: number }) => ({ spent: input.amount })))
  .definition();

const model = scriptedModel((request): ScriptedReply => {
  const prompt = lastUser(request);
  if (request.response_format) {
    const kind = /wrong|scarf/i.test(prompt) ? "wrong_item" : /late|not arrived/i.test(prompt) ? "late" : "damaged";
    return JSON.stringify({ orderId: /\d{3,}/.exec(prompt)?.[0] ?? "", kind });
  }
  if (system(request).startsWith("You are the writer")) return "We are sorry: a replacement scarf ships today.";
  if (system(request).startsWith("You are the manager")) {
    const result = toolResult(request);
    if (result) return `The triage is done: ${result}`;
    return { toolCalls: [{ name: "run_order_triage", arguments: { orderId: "4412", message: prompt } }] };
  }
  throw new Error(`no scripted reply for: ${system(request).slice(0, 40)} / ${prompt}`);
});

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ model: model.client, workflows: { definitions: [...shippedWorkflows, quick], tools: shippedWorkflowTools } });
});
afterAll(async () => platform.close());

async function decide(approvalId: string, decision: "approve" | "reject", comment?: string) {
  return platform.api.request("POST", `/api/approvals/${approvalId}`, { decision, ...(comment ? { comment } : {}) });
}

function requested(events: Event[], runId: string): EventOf<"approval.requested"> {
  const found = events.find((e): e is EventOf<"approval.requested"> => e.type === "approval.requested" && e.runId === runId);
  if (!found) throw new Error("no approval requested");
  return found;
}

describe("approvals in workflows", () => {
  it("waits for a person with no worker held, then goes on when approved; a second decision is told who decided", async () => {
    const { runId, conversationId } = await startRun(platform.api, "order-triage", { orderId: "4411", message: "The teapot arrived cracked" });
    const asked = requested(await platform.api.waitFor(conversationId, approvalAsked(runId)), runId);
    expect(asked.data).toMatchObject({ kind: "workflow", workflow: "order-triage", path: "route/damaged/refund-ok", onTimeout: "reject" });
    expect(asked.data.title).toContain("$45.5");
    expect(asked.data.data).toMatchObject({ orderId: "4411", customer: "Dana Whitfield" });
    const waiting = await runView(platform.api, runId);
    expect(waiting).toMatchObject({ status: "waiting", waitingFor: asked.data.approvalId });

    expect((await decide(asked.data.approvalId, "approve", "clearly broken")).status).toBe(200);
    const second = await decide(asked.data.approvalId, "reject");
    expect(second.status).toBe(409);
    expect(JSON.stringify(second.body)).toContain("local");

    const events = await platform.api.waitFor(conversationId, runEnded(runId));
    expect(path(events, runId)).toEqual(["classify", "route/damaged/lookup_order", "route/damaged/refund-ok", "route/damaged/issue_refund"]);
    const end = ended(events, runId);
    expect(end.type === "workflow.completed" && end.data.output).toMatchObject({ orderId: "4411", amount: 45.5, status: "issued" });
    expect(end.data.modelCalls).toBe(1);
    expect(end.data.budget).toMatchObject({ modelCalls: { min: 1 }, approvals: 1, agentRuns: 1 });
    expect(end.data.modelCalls).toBeLessThanOrEqual(end.data.budget.modelCalls.max);
    const resolved = events.filter((e) => e.type === "approval.resolved");
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.data).toMatchObject({ decision: "approve", by: "local", comment: "clearly broken" });
    expect(duplicates(events)).toEqual([]);
  });

  it("stops the workflow when the person rejects, and runs nothing after", async () => {
    const { runId, conversationId } = await startRun(platform.api, "order-triage", { orderId: "4414", message: "Two cups arrived broken" });
    const asked = requested(await platform.api.waitFor(conversationId, approvalAsked(runId)), runId);
    expect((await decide(asked.data.approvalId, "reject", "send a replacement instead")).status).toBe(200);
    const events = await platform.api.waitFor(conversationId, runEnded(runId));
    expect(path(events, runId)).toEqual(["classify", "route/damaged/lookup_order", "route/damaged/refund-ok"]);
    const end = ended(events, runId);
    expect(end.type === "workflow.completed" && end.data.stopped).toEqual({ path: "route/damaged/refund-ok", reason: "Rejected by local: send a replacement instead" });
  });

  it("applies the step's default decision when the timeout is due", async () => {
    const { runId, conversationId } = await startRun(platform.api, "quick-approval", { amount: 12 });
    const events = await platform.api.waitFor(conversationId, runEnded(runId));
    expect(events.find((e) => e.type === "approval.resolved")?.data).toMatchObject({ decision: "approve", by: "timeout" });
    expect(ended(events, runId)).toMatchObject({ type: "workflow.completed", data: { output: { spent: 12 } } });
    const late = await decide(requested(events, runId).data.approvalId, "reject");
    expect(late.status).toBe(409);
  });

  it("a run can be cancelled while it waits for a person", async () => {
    const { runId, conversationId } = await startRun(platform.api, "order-triage", { orderId: "4415", message: "The tablecloth arrived torn" });
    await platform.api.waitFor(conversationId, approvalAsked(runId));
    const cancelled = await platform.api.request("POST", `/api/workflow-runs/${runId}/cancel`);
    expect(cancelled.status).toBe(200);
    const events = await platform.api.waitFor(conversationId, runEnded(runId));
    expect(ended(events, runId)).toMatchObject({ type: "workflow.failed", data: { code: "cancelled" } });
    expect((await runView(platform.api, runId)).status).toBe("cancelled");
    expect((await platform.api.request("POST", `/api/workflow-runs/${runId}/cancel`)).status).toBe(409);
  });
});

describe("composition", () => {
  it("the manager runs a workflow as a tool, waits for it like a delegation, and answers from its output", async () => {
    const conversationId = await platform.api.createConversation();
    await platform.api.send(conversationId, "I ordered a charcoal scarf and got a red one, order 4412");
    const events = await platform.api.waitFor(conversationId, (all) => turnFinished(all) && all.some((e) => e.type === "workflow.completed"));
    const started = events.find((e): e is EventOf<"workflow.started"> => e.type === "workflow.started");
    expect(started?.data).toMatchObject({ workflow: "order-triage", input: { orderId: "4412" } });
    const runId = started?.runId ?? "";
    expect(path(events, runId)).toEqual(["classify", "route/wrong_item/writer"]);
    const answer = events.filter((e): e is EventOf<"message.agent"> => e.type === "message.agent").at(-1);
    expect(answer?.agent).toBe("manager");
    expect(answer?.data.text).toContain("a replacement scarf ships today");
    const result = events.find((e): e is EventOf<"tool.result"> => e.type === "tool.result" && e.data.tool === "run_order_triage");
    expect(result?.data.ok).toBe(true);
    // The manager's own call, the classifier, and the writer's run: three model calls in all.
    expect(model.requests.filter((request) => JSON.stringify(request).includes("4412")).length).toBeGreaterThanOrEqual(3);
    expect(duplicates(events)).toEqual([]);
  });
});

describe("tools that need a person's approval", () => {
  it("pauses the agent's run on the call, runs the tool only once approved, and tells the model a rejection", async () => {
    let wired = 0;
    const wire = defineTool({
      name: "wire_money",
      description: "Wires money to a supplier.",
      parameters: z.object({ amount: z.number().positive() }),
      needsApproval: true,
      execute: ({ amount }) => {
        wired += 1;
        return { wired: amount };
      },
    });
    const manager = defineAgent({ name: "manager", description: "Pays suppliers when asked to.", instructions: "You pay suppliers.", tools: [wire] });
    const payer = scriptedModel((request): ScriptedReply => {
      const result = toolResult(request);
      if (result) return `Outcome: ${result}`;
      return { toolCalls: [{ name: "wire_money", arguments: { amount: Number(/\d+/.exec(lastUser(request))?.[0] ?? 0) } }] };
    });
    const team = await startPlatform({ team: [manager], model: payer.client });
    try {
      const approve = await team.api.createConversation();
      await team.api.send(approve, "Pay 250 to the printer");
      const asked = (await team.api.waitFor(approve, (events) => events.some((e) => e.type === "approval.requested"))).find(
        (e): e is EventOf<"approval.requested"> => e.type === "approval.requested",
      );
      expect(asked?.data).toMatchObject({ kind: "tool", tool: "wire_money", data: { amount: 250 }, onTimeout: "reject" });
      expect(asked?.agent).toBe("manager");
      expect(wired).toBe(0);
      expect((await team.api.request("POST", `/api/approvals/${asked?.data.approvalId}`, { decision: "approve" })).status).toBe(200);
      const done = await team.api.waitFor(approve, turnFinished);
      expect(wired).toBe(1);
      const types = done.map((e) => e.type);
      expect(types.indexOf("approval.resolved")).toBeLessThan(types.indexOf("tool.result"));
      expect(done.filter((e) => e.type === "message.agent").at(-1)?.data).toMatchObject({ text: 'Outcome: {"wired":250}' });

      const reject = await team.api.createConversation();
      await team.api.send(reject, "Pay 900 to the caterer");
      const second = (await team.api.waitFor(reject, (events) => events.some((e) => e.type === "approval.requested"))).find(
        (e): e is EventOf<"approval.requested"> => e.type === "approval.requested",
      );
      await team.api.request("POST", `/api/approvals/${second?.data.approvalId}`, { decision: "reject", comment: "not budgeted" });
      const refused = await team.api.waitFor(reject, turnFinished);
      expect(wired).toBe(1);
      const answer = refused.filter((e): e is EventOf<"message.agent"> => e.type === "message.agent").at(-1);
      expect(answer?.data.text).toContain("local rejected this call of wire_money: not budgeted");
    } finally {
      await team.close();
    }
  });
});
