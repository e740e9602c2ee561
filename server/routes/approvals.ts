import { Router } from "express";
import type { Approvals } from "../../platform/approvals.js";
import { ApprovalsQuery, DecideApprovalBody } from "../../shared/approval.js";
import { decideApproval } from "../approval-decisions.js";
import { parseInput } from "../http-error.js";

/** Approvals through the API: each user sees and decides their own; the admin sees and decides all. */
export function approvalRoutes(deps: { approvals: Approvals }): Router {
  const router = Router();

  router.get("/approvals", async (request, response) => {
    const { user, admin } = response.locals.identity;
    const query = parseInput(ApprovalsQuery, request.query, "invalid_query");
    const approvals = await deps.approvals.list({ owner: admin ? undefined : user, status: query.status });
    response.json({ approvals });
  });

  router.post("/approvals/:approvalId", async (request, response) => {
    const body = parseInput(DecideApprovalBody, request.body ?? {}, "invalid_decision");
    const approval = await decideApproval(deps.approvals, response.locals.identity, { approvalId: request.params.approvalId, ...body });
    response.json({ approval });
  });

  return router;
}
