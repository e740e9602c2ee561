import { Router } from "express";
import { z } from "zod";
import type { Conversations } from "../../platform/conversations.js";
import type { Logger } from "../../platform/logger.js";
import type { WorkflowRegistry } from "../../platform/workflow-registry.js";
import { SwitchboardError } from "../../shared/errors.js";
import {
  StartWorkflowRunBody,
  WorkflowName,
  type WorkflowRunLine,
  type WorkflowRunView,
  type WorkflowSummary,
} from "../../shared/workflow.js";
import type { Identity } from "../auth.js";
import { parseInput } from "../http-error.js";
import type { RateLimits } from "../rate-limits.js";
import { WorkflowStarts, type WorkflowRunStore } from "../workflow-starts.js";

const RunsQuery = z.object({
  workflow: WorkflowName.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** A missing `input` is judged by the workflow's own schema, which names what it expects. */
const StartBody = StartWorkflowRunBody.partial({ input: true });

/** Run ids this server makes are `w` + 16 characters; runs started elsewhere (an agent's tool) may differ. */
const RunId = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/);

/** Workflows and their runs: anyone may list workflows and start runs; a run is seen by its owner and the admin. */
export function workflowRoutes(deps: {
  registry: WorkflowRegistry;
  runs: WorkflowRunStore;
  conversations: Conversations;
  log: Logger;
  limits: RateLimits;
}): Router {
  const router = Router();
  const starts = new WorkflowStarts(deps);

  const existing = async (name: string | undefined) => {
    const summary = WorkflowName.safeParse(name).success ? await deps.registry.get(name as string) : undefined;
    if (!summary) throw new SwitchboardError("unknown_workflow", `No workflow named "${name}".`);
    return summary;
  };

  /** The body's `input` checked against the workflow's input schema; issues are named `input.<field>`. */
  const inputSchema = (summary: WorkflowSummary): z.ZodType => z.object({ input: starts.inputSchema(summary) });

  const ownedRun = async (identity: Identity, runId: string | undefined) => {
    const view = RunId.safeParse(runId).success ? await deps.runs.view(runId as string) : undefined;
    if (!view || (view.owner !== identity.user && !identity.admin)) {
      throw new SwitchboardError("unknown_run", `No workflow run "${runId}".`);
    }
    return view;
  };

  router.get("/workflows", async (_request, response) => {
    const workflows = (await deps.registry.list()).sort((a, b) => a.name.localeCompare(b.name));
    response.json({ workflows });
  });

  router.get("/workflows/:name", async (request, response) => {
    response.json(await existing(request.params.name));
  });

  router.post("/workflows/:name/runs", async (request, response) => {
    const owner = response.locals.identity.user;
    const workflow = await existing(request.params.name);
    const body = parseInput(StartBody, request.body ?? {});
    const { input } = parseInput(inputSchema(workflow), { input: body.input }, "invalid_input") as { input: unknown };
    const conversationId = body.conversationId;
    // A conversation that is not the caller's refuses the run before it is counted.
    if (conversationId !== undefined && !(await deps.conversations.get(owner, conversationId))) {
      throw new SwitchboardError("unknown_conversation", `No conversation "${conversationId}".`);
    }
    response.status(202).json(await starts.start({ workflow, input, owner, address: response.locals.address, conversationId }));
  });

  router.get("/workflow-runs", async (request, response) => {
    const query = parseInput(RunsQuery, request.query, "invalid_query");
    response.json({ runs: await deps.runs.list(response.locals.identity.user, query) });
  });

  router.get("/workflow-runs/:runId", async (request, response) => {
    response.json(await ownedRun(response.locals.identity, request.params.runId));
  });

  router.post("/workflow-runs/:runId/cancel", async (request, response) => {
    const identity = response.locals.identity;
    const view = await ownedRun(identity, request.params.runId);
    const outcome = await deps.runs.cancel(view.runId, identity.user);
    if (outcome === "not_found") throw new SwitchboardError("unknown_run", `No workflow run "${view.runId}".`);
    if (outcome === "finished") {
      const current = (await deps.runs.view(view.runId)) ?? view;
      throw new SwitchboardError("run_finished", `The run has already ended (${current.status}).`, { run: current });
    }
    response.json((await deps.runs.view(view.runId)) ?? view);
  });

  return router;
}
