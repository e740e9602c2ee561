/**
 * What the chat column draws, derived from the ordered events: messages, handoff rows (parallel
 * delegations grouped), returns, tool cards (call and result paired), failed-run banners, one
 * block per workflow run (where it started; its later events update the block), approval cards
 * (request and decision paired), retried model steps and generic notices. Run start/finish events
 * belong to the timeline, not the chat.
 *
 * A delegated specialist works for the manager, not for the user: everything its run (and a run it
 * transfers to) writes goes under its handoff, as that delegation's work, and the manager's own
 * answer stays the answer in the conversation.
 */
import type { Event, EventOf } from "../../shared/events.js";
import { compareStreamIds } from "../../shared/stream-id.js";

export type HandoffEvent = EventOf<"handoff">;
export type HandoffReturnEvent = EventOf<"handoff.return">;
export type ToolCallEvent = EventOf<"tool.call">;
export type ToolResultEvent = EventOf<"tool.result">;
export type RunFailedEvent = EventOf<"run.failed">;
export type MessageEvent = EventOf<"message.user"> | EventOf<"message.agent">;
export type ApprovalRequestedEvent = EventOf<"approval.requested">;
export type ApprovalResolvedEvent = EventOf<"approval.resolved">;
/** Events shown as a plain line: a decision whose request is no longer in the log, a workflow event without a run. */
export type NoticeEvent =
  | ApprovalResolvedEvent
  | EventOf<"workflow.started">
  | EventOf<"workflow.step">
  | EventOf<"workflow.completed">
  | EventOf<"workflow.failed">;
export type RunRetryingEvent = EventOf<"run.retrying">;
export type RunCancelledEvent = EventOf<"run.cancelled">;

export type ChatItem =
  | { kind: "message"; key: string; event: MessageEvent }
  /**
   * One handoff, or several delegations the same run sent out together (they run in parallel).
   * `work`: by delegated run id, the items of that run (its messages, tool cards, its return…).
   */
  | { kind: "handoffs"; key: string; from: string; runId: string | undefined; handoffs: HandoffEvent[]; work: ReadonlyMap<string, readonly ChatItem[]> }
  | { kind: "return"; key: string; event: HandoffReturnEvent }
  | { kind: "tool"; key: string; call: ToolCallEvent | undefined; result: ToolResultEvent | undefined }
  | { kind: "run-failed"; key: string; event: RunFailedEvent }
  /** A run a person stopped: who stopped it, and what it had written (never shown as an answer). */
  | { kind: "run-cancelled"; key: string; event: RunCancelledEvent }
  /**
   * What a retried or edited message replaced: the earlier message, its turn and anything after it
   * up to the new message (`by`), kept and shown collapsed.
   */
  | { kind: "replaced"; key: string; by: string; items: readonly ChatItem[] }
  /** A model step tried again: what the failed attempt had written, marked as replaced. */
  | { kind: "retry"; key: string; event: RunRetryingEvent }
  /** A workflow run, drawn where its first event is; the block reads the run's state by id. */
  | { kind: "workflow"; key: string; runId: string }
  /** A run's end, when other items came after its block: says so where the reader is, and leads back up. */
  | { kind: "workflow-end"; key: string; event: EventOf<"workflow.completed"> | EventOf<"workflow.failed"> }
  | { kind: "approval"; key: string; requested: ApprovalRequestedEvent; resolved: ApprovalResolvedEvent | undefined }
  | { kind: "notice"; key: string; event: NoticeEvent };

/** Tool call ids come from the model and repeat across runs ("call_0"), so they pair within a run. */
const toolKey = (runId: string | undefined, toolCallId: string): string => `${runId ?? ""}\u0000${toolCallId}`;

export function deriveChatItems(events: readonly Event[]): ChatItem[] {
  const results = new Map<string, ToolResultEvent>();
  const calls = new Set<string>();
  const decisions = new Map<string, ApprovalResolvedEvent>();
  const requests = new Set<string>();
  for (const event of events) {
    if (event.type === "tool.result") results.set(toolKey(event.runId, event.data.toolCallId), event);
    if (event.type === "tool.call") calls.add(toolKey(event.runId, event.data.toolCallId));
    // The first decision is the one that counts (the server records only one; this is belt and braces).
    if (event.type === "approval.resolved" && !decisions.has(event.data.approvalId)) decisions.set(event.data.approvalId, event);
    if (event.type === "approval.requested") requests.add(event.data.approvalId);
  }
  const workflowRuns = new Set<string>();
  const asked = new Set<string>();

  const top: ChatItem[] = [];
  /** Where a delegated run's items go (and those of a run it transferred to): its delegation's work. */
  const workOf = new Map<string, ChatItem[]>();
  let previous: Event | undefined;
  for (const event of events) {
    const items = (event.runId === undefined ? undefined : workOf.get(event.runId)) ?? top;
    switch (event.type) {
      case "message.user":
      case "message.agent":
        items.push({ kind: "message", key: event.id, event });
        break;
      case "handoff": {
        const last = items[items.length - 1];
        const { mode, childRunId } = event.data;
        // Delegations sent out together are logged one after the other; a later one is another round.
        if (
          mode === "delegate" &&
          last?.kind === "handoffs" &&
          last.runId === event.runId &&
          last.from === event.data.from &&
          last.handoffs.every((handoff) => handoff.data.mode === "delegate") &&
          last.handoffs[last.handoffs.length - 1] === previous
        ) {
          items[items.length - 1] = { ...last, handoffs: [...last.handoffs, event] };
        } else {
          items.push({ kind: "handoffs", key: event.id, from: event.data.from, runId: event.runId, handoffs: [event], work: new Map() });
        }
        const group = items[items.length - 1];
        if (mode === "delegate" && group?.kind === "handoffs") {
          const work: ChatItem[] = [];
          (group.work as Map<string, ChatItem[]>).set(childRunId, work);
          workOf.set(childRunId, work);
        } else if (items !== top) {
          workOf.set(childRunId, items);
        }
        break;
      }
      case "handoff.return":
        items.push({ kind: "return", key: event.id, event });
        break;
      case "tool.call":
        items.push({ kind: "tool", key: event.id, call: event, result: results.get(toolKey(event.runId, event.data.toolCallId)) });
        break;
      case "tool.result":
        // Normally shown on its call's card; a result without a call (a refused handoff) stands alone.
        if (!calls.has(toolKey(event.runId, event.data.toolCallId))) {
          items.push({ kind: "tool", key: event.id, call: undefined, result: event });
        }
        break;
      case "run.failed":
        items.push({ kind: "run-failed", key: event.id, event });
        break;
      case "run.retrying":
        items.push({ kind: "retry", key: event.id, event });
        break;
      case "approval.requested":
        if (!asked.has(event.data.approvalId)) {
          asked.add(event.data.approvalId);
          items.push({ kind: "approval", key: event.id, requested: event, resolved: decisions.get(event.data.approvalId) });
        }
        break;
      case "approval.resolved":
        if (!requests.has(event.data.approvalId) && decisions.get(event.data.approvalId) === event) {
          items.push({ kind: "notice", key: event.id, event });
        }
        break;
      case "workflow.started":
      case "workflow.step":
      case "workflow.completed":
      case "workflow.failed":
        if (event.runId === undefined) items.push({ kind: "notice", key: event.id, event });
        else if (!workflowRuns.has(event.runId)) {
          workflowRuns.add(event.runId);
          items.push({ kind: "workflow", key: event.id, runId: event.runId });
        } else if (event.type === "workflow.completed" || event.type === "workflow.failed") {
          const last = items[items.length - 1];
          if (last?.kind !== "workflow" || last.runId !== event.runId) items.push({ kind: "workflow-end", key: event.id, event });
        }
        break;
      case "run.cancelled":
        items.push({ kind: "run-cancelled", key: event.id, event });
        break;
      case "run.started":
      case "run.completed":
      // Shown while it matters, beside the working indicator (runs.ts): not a line of the chat.
      case "run.slow":
        break;
    }
    previous = event;
  }
  return groupReplaced(top, events);
}

/**
 * Gathers the items a retry or an edit replaced into one `replaced` item each: every item from the
 * replaced message up to the message that replaces it. A later retry of an earlier message takes
 * in what an earlier one had replaced.
 */
function groupReplaced(items: ChatItem[], events: readonly Event[]): ChatItem[] {
  const ranges: { from: string; to: string }[] = [];
  for (const event of events) {
    if (event.type === "message.user" && event.data.replaces !== undefined) ranges.push({ from: event.data.replaces, to: event.id });
  }
  if (ranges.length === 0) return items;
  /** The replacing message whose range holds `key`, the widest one when several do. */
  const replacedBy = (key: string): string | undefined => {
    let by: { from: string; to: string } | undefined;
    for (const range of ranges) {
      if (compareStreamIds(key, range.from) >= 0 && compareStreamIds(key, range.to) < 0 && (by === undefined || compareStreamIds(range.from, by.from) < 0)) by = range;
    }
    return by?.to;
  };
  const grouped: ChatItem[] = [];
  for (const item of items) {
    const by = replacedBy(item.key);
    const last = grouped[grouped.length - 1];
    if (by === undefined) grouped.push(item);
    else if (last?.kind === "replaced" && last.by === by) grouped[grouped.length - 1] = { ...last, items: [...last.items, item] };
    else grouped.push({ kind: "replaced", key: `replaced:${item.key}`, by, items: [item] });
  }
  return grouped;
}
