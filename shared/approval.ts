import { z } from "zod";
import { ApprovalDecision } from "./events.js";

export const APPROVAL_VERSION = 1;

/**
 * A person's decision a run waits for. Stored once in Redis; the first decision wins (checked and
 * written in one atomic step), and the parked job that waits for it is woken by the decider.
 */
export const Approval = z.object({
  v: z.literal(APPROVAL_VERSION),
  id: z.string(),
  conversationId: z.string(),
  /** The conversation's owner: with the admin, the only one who may decide. */
  owner: z.string(),
  runId: z.string(),
  kind: z.enum(["workflow", "tool"]),
  title: z.string(),
  data: z.unknown(),
  workflow: z.string().optional(),
  path: z.string().optional(),
  tool: z.string().optional(),
  status: z.enum(["pending", "approved", "rejected"]),
  requestedAt: z.string(),
  timeoutAt: z.string().optional(),
  onTimeout: ApprovalDecision,
  decidedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  comment: z.string().optional(),
  /** The BullMQ job that waits (delayed) for the decision: queue name and job id. */
  job: z.object({ queue: z.string(), id: z.string() }),
});
export type Approval = z.infer<typeof Approval>;

export const DecideApprovalBody = z
  .object({ decision: ApprovalDecision, comment: z.string().trim().max(2000).optional() })
  .strict();
export type DecideApprovalBody = z.infer<typeof DecideApprovalBody>;

export const ApprovalsQuery = z.object({ status: z.enum(["pending", "approved", "rejected"]).optional() });

/** Approval ids are made by the runs that ask (run id, step path, tool call id); visible ASCII, bounded. */
export const ApprovalId = z.string().regex(/^[\x21-\x7e]{1,256}$/, "not an approval id");

/** `approval:decide` over Socket.IO: the REST body plus the approval's id; one schema for both ends. */
export const DecideApprovalPayload = DecideApprovalBody.extend({ approvalId: ApprovalId }).strict();
export type DecideApprovalPayload = z.infer<typeof DecideApprovalPayload>;
