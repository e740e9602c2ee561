import type { Approvals } from "../platform/approvals.js";
import { ApprovalId, type Approval } from "../shared/approval.js";
import { SwitchboardError } from "../shared/errors.js";
import type { ApprovalDecision } from "../shared/events.js";
import type { Identity } from "./auth.js";

/**
 * What REST and Socket.IO share: who may see and decide an approval, and how each outcome reads.
 * Only the owner of the approval's conversation, or the admin, may; to anyone else it does not exist.
 */
export async function visibleApproval(approvals: Approvals, identity: Identity, id: string | undefined): Promise<Approval> {
  const approval = ApprovalId.safeParse(id).success ? await approvals.get(id as string) : undefined;
  if (!approval || (approval.owner !== identity.user && !identity.admin)) {
    throw new SwitchboardError("unknown_approval", `No approval "${id}".`);
  }
  return approval;
}

/** Records the caller's decision; the first decision wins and a later one is a 409 naming it. */
export async function decideApproval(
  approvals: Approvals,
  identity: Identity,
  input: { approvalId: string; decision: ApprovalDecision; comment?: string },
): Promise<Approval> {
  await visibleApproval(approvals, identity, input.approvalId);
  const result = await approvals.decide(input.approvalId, input.decision, identity.user, input.comment || undefined);
  if (result.outcome === "not_found") throw new SwitchboardError("unknown_approval", `No approval "${input.approvalId}".`);
  if (result.outcome === "already_decided") {
    const { approval } = result;
    const by = approval.decidedBy === "timeout" ? "the timeout" : approval.decidedBy;
    throw new SwitchboardError("already_decided", `Already ${approval.status} by ${by} at ${approval.decidedAt}.`, { approval });
  }
  return result.approval;
}
