import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Conversations } from "../platform/conversations.js";
import type { Logger } from "../platform/logger.js";
import { SwitchboardError } from "../shared/errors.js";
import type { WorkflowRunLine, WorkflowRunView, WorkflowSummary } from "../shared/workflow.js";
import type { RateLimits } from "./rate-limits.js";

/**
 * The run store the server needs (implemented by `WorkflowRuns` in platform/workflow-runs.ts):
 * `start` records the run and enqueues its job; the rest read and cancel it.
 */
export interface WorkflowRunStore {
  /** `workflow` is the workflow's name; its input has been checked against the registry's schema. */
  start(input: { runId: string; workflow: string; conversationId: string; owner: string; input: unknown }): Promise<void>;
  view(runId: string): Promise<WorkflowRunView | undefined>;
  list(owner: string, options?: { workflow?: string; limit?: number }): Promise<WorkflowRunLine[]>;
  cancel(runId: string, by: string): Promise<"cancelled" | "finished" | "not_found">;
}

/** `w` and 16 random letters or digits: safe in Redis keys and as a BullMQ job id. */
export function newWorkflowRunId(): string {
  let id = "";
  while (id.length < 16) id += randomBytes(16).toString("base64url").replace(/[^a-zA-Z0-9]/g, "");
  return `w${id.slice(0, 16)}`;
}

/** Input schemas compiled from JSON Schema, by workflow version (a version's schema never changes). */
const COMPILED_LIMIT = 256;

/**
 * Starting a workflow run, whichever way it comes in (REST, an MCP tool): the input schema it is
 * checked against, and the start itself — counted against the caller's limit, its conversation
 * made when none is given, the run recorded and queued.
 */
export class WorkflowStarts {
  private readonly compiled = new Map<string, z.ZodType>();

  constructor(private readonly deps: { runs: WorkflowRunStore; conversations: Conversations; limits: RateLimits; log: Logger }) {}

  /** The workflow's input schema as zod, compiled once per version. */
  inputSchema(summary: WorkflowSummary): z.ZodType {
    const key = `${summary.name}@${summary.version}`;
    let schema = this.compiled.get(key);
    if (!schema) {
      try {
        schema = z.fromJSONSchema(summary.inputSchema as Parameters<typeof z.fromJSONSchema>[0]);
      } catch (error) {
        this.deps.log.error({ err: error, workflow: summary.name }, "cannot compile the workflow's input schema");
        throw new SwitchboardError("invalid_workflow", `The input schema of workflow "${summary.name}" cannot be used; see the server log.`);
      }
      if (this.compiled.size >= COMPILED_LIMIT) this.compiled.delete(this.compiled.keys().next().value as string);
      this.compiled.set(key, schema);
    }
    return schema;
  }

  /** Starts a run of `workflow` with checked `input`; the conversation, when given, is the owner's. */
  async start(request: {
    workflow: WorkflowSummary;
    input: unknown;
    owner: string;
    address: string;
    conversationId?: string;
  }): Promise<{ runId: string; conversationId: string }> {
    const { workflow, owner } = request;
    // Counted before its conversation is made, so a refused run leaves nothing behind.
    await this.deps.limits.consume("workflowRuns", { user: owner, address: request.address });
    const conversationId =
      request.conversationId ?? (await this.deps.conversations.create(owner, `Workflow: ${workflow.name}`, { automatic: true })).id;
    const runId = newWorkflowRunId();
    await this.deps.runs.start({ runId, workflow: workflow.name, conversationId, owner, input: request.input });
    return { runId, conversationId };
  }
}
