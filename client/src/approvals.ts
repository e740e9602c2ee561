/**
 * Deciding an approval: over the socket while it is connected (`approval:decide`, acknowledged
 * with the outcome), over REST otherwise. Either way the first decision wins; a later one comes
 * back as `already_decided` with the server's words naming who decided.
 */
import { z } from "zod";
import type { ApprovalDecision } from "../../shared/events.js";
import { type FailureCode, RequestError, type SwitchboardApi } from "./api.js";
import { awaitAck, type SwitchboardSocket } from "./socket.js";

const DECIDE_TIMEOUT_MS = 10_000;

export type DecideOutcome =
  | { ok: true; decision: ApprovalDecision; by: string | undefined }
  | { ok: false; code: FailureCode; message: string };

/** Only what the card needs from the acknowledged approval; the rest may change without breaking it. */
const Decided = z.object({
  approval: z.object({ status: z.enum(["pending", "approved", "rejected"]), decidedBy: z.string().optional() }),
});

export async function decideApproval(
  socket: SwitchboardSocket,
  api: SwitchboardApi,
  request: { approvalId: string; decision: ApprovalDecision; comment?: string },
): Promise<DecideOutcome> {
  const comment = request.comment?.trim();
  const payload = { approvalId: request.approvalId, decision: request.decision, ...(comment ? { comment } : {}) };
  if (socket.connected) {
    try {
      const result = await awaitAck(Decided, (callback) => socket.timeout(DECIDE_TIMEOUT_MS).emit("approval:decide", payload, callback));
      if (!result.ok) return result;
      return { ok: true, decision: request.decision, by: result.data.approval.decidedBy };
    } catch {
      // Timed out or dropped mid-way: REST says what happened (a repeat of our own decision is refused as already decided).
    }
  }
  try {
    const approval = await api.decideApproval(request.approvalId, request.decision, comment);
    return { ok: true, decision: request.decision, by: approval?.decidedBy };
  } catch (caught) {
    if (caught instanceof RequestError) {
      return { ok: false, code: caught.status === 409 ? "already_decided" : caught.code, message: caught.message };
    }
    return { ok: false, code: "network", message: "Could not reach the Switchboard server." };
  }
}
