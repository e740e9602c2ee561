import type { Event, EventOf } from "../../shared/events.js";
import type { WorkflowRunView } from "../../shared/workflow.js";
import type { ApiClient } from "./harness.js";

/** Starts a run over REST, as a user's program would. */
export async function startRun(api: ApiClient, workflow: string, input: unknown): Promise<{ runId: string; conversationId: string }> {
  const response = await api.request("POST", `/api/workflows/${workflow}/runs`, { input });
  if (response.status !== 202) throw new Error(`start ${workflow}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { runId: string; conversationId: string };
}

/** True once the run has logged its end. */
export const runEnded = (runId: string) => (events: Event[]) =>
  events.some((e) => (e.type === "workflow.completed" || e.type === "workflow.failed") && e.runId === runId);

/** True once the run asks a person something. */
export const approvalAsked = (runId: string) => (events: Event[]) => events.some((e) => e.type === "approval.requested" && e.runId === runId);

export function steps(events: Event[], runId: string, status: "completed" | "started" | "skipped" | "failed" = "completed"): EventOf<"workflow.step">[] {
  return events.filter((e): e is EventOf<"workflow.step"> => e.type === "workflow.step" && e.runId === runId && e.data.status === status);
}

/** Completed leaf steps as "path" or "path@round", in the order they finished. */
export function path(events: Event[], runId: string): string[] {
  const patterns = new Set(["chain", "route", "parallel", "vote", "orchestrate", "loop"]);
  return steps(events, runId)
    .filter((e) => !patterns.has(e.data.kind))
    .map((e) => (e.data.round ? `${e.data.path}@${e.data.round}` : e.data.path));
}

export function ended(events: Event[], runId: string): EventOf<"workflow.completed"> | EventOf<"workflow.failed"> {
  const end = events.find((e): e is EventOf<"workflow.completed"> | EventOf<"workflow.failed"> => (e.type === "workflow.completed" || e.type === "workflow.failed") && e.runId === runId);
  if (!end) throw new Error(`run ${runId} has not ended`);
  return end;
}

export async function runView(api: ApiClient, runId: string): Promise<WorkflowRunView> {
  const response = await api.request("GET", `/api/workflow-runs/${runId}`);
  if (response.status !== 200) throw new Error(`run ${runId}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as unknown as WorkflowRunView;
}

/** Events logged more than once: the same run, type, step path and round, or the same approval. */
export function duplicates(events: Event[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const event of events) {
    if (event.type === "message.user" || event.type === "message.agent") continue;
    const data = event.data as Record<string, unknown>;
    const key = [event.runId, event.type, data.path, data.status, data.round, data.approvalId, data.toolCallId, data.childRunId].join("/");
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
}
