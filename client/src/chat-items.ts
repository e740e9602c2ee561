/**
 * What the chat column draws, derived from the ordered events: messages, handoff rows (parallel
 * delegations grouped), returns, tool cards (call and result paired), failed-run banners and
 * generic notices. Run start/finish events belong to the timeline, not the chat.
 */
import type { Event, EventOf } from "../../shared/events.js";

export type HandoffEvent = EventOf<"handoff">;
export type HandoffReturnEvent = EventOf<"handoff.return">;
export type ToolCallEvent = EventOf<"tool.call">;
export type ToolResultEvent = EventOf<"tool.result">;
export type RunFailedEvent = EventOf<"run.failed">;
export type MessageEvent = EventOf<"message.user"> | EventOf<"message.agent">;
export type NoticeEvent = EventOf<"approval.requested"> | EventOf<"approval.resolved"> | EventOf<"workflow.step">;

export type ChatItem =
  | { kind: "message"; key: string; event: MessageEvent }
  /** One handoff, or several delegations the same run sent out together (they run in parallel). */
  | { kind: "handoffs"; key: string; from: string; runId: string | undefined; handoffs: HandoffEvent[] }
  | { kind: "return"; key: string; event: HandoffReturnEvent }
  | { kind: "tool"; key: string; call: ToolCallEvent | undefined; result: ToolResultEvent | undefined }
  | { kind: "run-failed"; key: string; event: RunFailedEvent }
  | { kind: "notice"; key: string; event: NoticeEvent };

/** Tool call ids come from the model and repeat across runs ("call_0"), so they pair within a run. */
const toolKey = (runId: string | undefined, toolCallId: string): string => `${runId ?? ""}\u0000${toolCallId}`;

export function deriveChatItems(events: readonly Event[]): ChatItem[] {
  const results = new Map<string, ToolResultEvent>();
  const calls = new Set<string>();
  for (const event of events) {
    if (event.type === "tool.result") results.set(toolKey(event.runId, event.data.toolCallId), event);
    if (event.type === "tool.call") calls.add(toolKey(event.runId, event.data.toolCallId));
  }

  const items: ChatItem[] = [];
  for (const event of events) {
    switch (event.type) {
      case "message.user":
      case "message.agent":
        items.push({ kind: "message", key: event.id, event });
        break;
      case "handoff": {
        const last = items[items.length - 1];
        if (
          event.data.mode === "delegate" &&
          last?.kind === "handoffs" &&
          last.runId === event.runId &&
          last.from === event.data.from &&
          last.handoffs.every((handoff) => handoff.data.mode === "delegate")
        ) {
          items[items.length - 1] = { ...last, handoffs: [...last.handoffs, event] };
        } else {
          items.push({ kind: "handoffs", key: event.id, from: event.data.from, runId: event.runId, handoffs: [event] });
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
      case "approval.requested":
      case "approval.resolved":
      case "workflow.step":
        items.push({ kind: "notice", key: event.id, event });
        break;
      case "run.started":
      case "run.completed":
        break;
    }
  }
  return items;
}
