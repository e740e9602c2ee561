import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { AgentSummary, WorkflowInfo } from "../api.js";
import { deriveChatItems, type ChatItem } from "../chat-items.js";
import type { ConversationStore } from "../conversation-registry.js";
import type { OutgoingMessage } from "../conversation-store.js";
import { useStoreState } from "../hooks/use-store.js";
import { busyLeafRuns, type DerivedRuns } from "../runs.js";
import { deriveWorkflowRuns, type WorkflowRuns } from "../workflow-runs.js";
import { AgentChip } from "./agent-badge.js";
import { useChatJump, type ChatJump } from "../hooks/use-chat-jump.js";
import { ApprovalCard, type Decide } from "./approval-card.js";
import { useFirstUnread } from "../hooks/use-first-unread.js";
import { ChatAnchor } from "./chat-anchor.js";
import { EmptyConversation } from "./empty-conversation.js";
import { EventNotice } from "./event-notice.js";
import { HandoffGroup, HandoffReturnRow } from "./handoff-row.js";
import { MessageItem, OutgoingMessageItem, StreamingMessageItem } from "./message-item.js";
import { countRender } from "../render-count.js";
import { RetryNotice } from "./retry-notice.js";
import { ReplacedBlock, RunStoppedNotice } from "./turn-actions.js";
import { RunFailedBanner } from "./run-failed-banner.js";
import { ToolCard } from "./tool-card.js";
import { WorkflowEndRow, WorkflowRunBlock } from "./workflow-run-block.js";

/** What workflow blocks and approval cards need from the page. */
export interface WorkflowChat {
  /** The workflows the server lists, by name: their graphs. */
  definitions: ReadonlyMap<string, WorkflowInfo>;
  decide: Decide;
  /** Cancels a run; resolves to a problem to show, or undefined. */
  cancel: (runId: string) => Promise<string | undefined>;
  /** The user of the page (GET /api/me), undefined until known. */
  me: string | undefined;
}

/** How close to the bottom (px) still counts as "reading the newest": auto-scroll keeps following. */
const STICK_THRESHOLD_PX = 96;
const NO_OUTGOING: readonly OutgoingMessage[] = [];

/** Memoized: a streamed word re-renders the chat, and the items it did not change must not follow. */
const ItemView = memo(function ItemView({ item, runs, workflows }: { item: ChatItem; runs: WorkflowRuns; workflows: WorkflowChat }): ReactNode {
  switch (item.kind) {
    case "message":
      return <MessageItem event={item.event} />;
    case "handoffs":
      return (
        <HandoffGroup
          from={item.from}
          handoffs={item.handoffs}
          work={item.work}
          renderItem={(child) => (
            <ChatAnchor item={child}>
              <ItemView item={child} runs={runs} workflows={workflows} />
            </ChatAnchor>
          )}
        />
      );
    case "return":
      return <HandoffReturnRow event={item.event} />;
    case "tool":
      return <ToolCard call={item.call} result={item.result} />;
    case "run-failed":
      return <RunFailedBanner event={item.event} />;
    case "notice":
      return <EventNotice event={item.event} />;
    case "retry":
      return <RetryNotice event={item.event} />;
    case "run-cancelled":
      return <RunStoppedNotice event={item.event} />;
    case "replaced":
      return (
        <ReplacedBlock count={item.items.length}>
          {item.items.map((child) => (
            <ChatAnchor key={child.key} item={child}>
              <ItemView item={child} runs={runs} workflows={workflows} />
            </ChatAnchor>
          ))}
        </ReplacedBlock>
      );
    case "workflow": {
      const run = runs.byId.get(item.runId);
      return run === undefined ? null : <WorkflowRunBlock run={run} definition={workflows.definitions.get(run.workflow)} onCancel={workflows.cancel} />;
    }
    case "workflow-end":
      return <WorkflowEndRow event={item.event} run={item.event.runId === undefined ? undefined : runs.byId.get(item.event.runId)} />;
    case "approval": {
      const runId = runs.approvalRuns.get(item.requested.data.approvalId);
      const status = runId === undefined ? undefined : runs.byId.get(runId)?.status;
      const ended = status === "completed" || status === "failed" || status === "cancelled" ? status : undefined;
      return <ApprovalCard requested={item.requested} resolved={item.resolved} onDecide={workflows.decide} me={workflows.me} runEnded={ended} />;
    }
  }
});

/**
 * The log's items, memoized apart from the answers streaming below them: a streamed piece
 * re-renders the chat, and a conversation of a thousand events must not be walked for it (issue #11).
 */
const LogItems = memo(function LogItems({ items, runs, workflows }: { items: readonly ChatItem[]; runs: WorkflowRuns; workflows: WorkflowChat }): ReactNode {
  countRender("chat-items");
  return items.map((item) => (
    <ChatAnchor key={item.key} item={item}>
      <ItemView item={item} runs={runs} workflows={workflows} />
    </ChatAnchor>
  ));
});

/**
 * The conversation: the log's items in order, then answers being streamed, then the user's
 * messages still on their way. Follows the newest item unless the reader scrolled up.
 */
export const ChatView = memo(function ChatView({
  conversationId,
  store,
  runs,
  agents,
  online,
  workflows,
  onRetry,
  onDiscard,
  jumpTo,
  onBackToTrace,
  onSendStarter,
}: {
  conversationId: string | undefined;
  /** The open conversation's store: the chat alone follows its streamed text. */
  store: ConversationStore | undefined;
  runs: DerivedRuns;
  agents: readonly AgentSummary[];
  online: boolean;
  workflows: WorkflowChat;
  onRetry: (clientMsgId: string) => void;
  onDiscard: (clientMsgId: string) => void;
  /** Set when the run trace sent the reader to a run's place in the chat. */
  jumpTo?: ChatJump | undefined;
  /** Takes the reader back to the run in the trace. */
  onBackToTrace?: () => void;
  /** Sends a starter prompt of the empty conversation. */
  onSendStarter?: (text: string) => void;
}) {
  const state = useStoreState(store, undefined);
  const events = state?.events;
  const items = useMemo(() => (events === undefined ? [] : deriveChatItems(events)), [events]);
  const workflowRuns = useMemo(() => deriveWorkflowRuns(events ?? []), [events]);
  const workflowList = useMemo(() => [...workflows.definitions.values()], [workflows.definitions]);
  const streams = useMemo(() => [...(state?.streams.values() ?? [])].sort((a, b) => a.order - b.order), [state?.streams]);
  const outbox = state?.outbox ?? NO_OUTGOING;
  const busy = useMemo(() => {
    const streaming = new Set(streams.map((stream) => stream.runId));
    return busyLeafRuns(runs).filter((run) => !streaming.has(run.runId));
  }, [runs, streams]);

  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [unseen, setUnseen] = useState(false);
  const stopFollowing = useCallback(() => {
    stick.current = false;
  }, []);
  const jumped = useChatJump(scroller, jumpTo, stopFollowing);

  const scrollToEnd = useCallback(() => {
    const element = scroller.current;
    if (element === null) return;
    element.scrollTop = element.scrollHeight;
    stick.current = true;
    setUnseen(false);
  }, []);

  // A newly opened conversation starts at its newest message, or at the first answer not seen yet.
  useLayoutEffect(() => {
    stick.current = true;
    setUnseen(false);
  }, [conversationId]);
  const following = useCallback(() => stick.current, []);
  const { noteSeen } = useFirstUnread({
    conversationId,
    synced: state?.synced === true,
    items,
    events,
    scroller,
    following,
    onAway: stopFollowing,
  });

  useLayoutEffect(() => {
    if (stick.current) scrollToEnd();
    else setUnseen(true);
  }, [items, workflowRuns, streams, outbox, busy.length, scrollToEnd]);

  // Content also grows without new items (a window resize, an expanded card, a phone rotating):
  // a reader who was at the newest item stays there.
  const log = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = scroller.current;
    const content = log.current;
    if (element === null || content === null || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (stick.current) element.scrollTop = element.scrollHeight;
    });
    observer.observe(element);
    observer.observe(content);
    return () => observer.disconnect();
  }, []);

  const onScroll = (): void => {
    const element = scroller.current;
    if (element === null) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < STICK_THRESHOLD_PX;
    stick.current = atBottom;
    if (atBottom) {
      setUnseen(false);
      noteSeen();
    }
  };

  const loading = conversationId !== undefined && state !== undefined && !state.loaded;
  const empty = state !== undefined && state.loaded && items.length === 0 && outbox.length === 0 && streams.length === 0;

  return (
    <div className="chat-scroll-area">
      <div className="chat-scroll" ref={scroller} onScroll={onScroll}>
        {state?.joinError !== undefined && (
          <p className="inline-error" role="alert">
            This conversation could not be opened: {state.joinError}
          </p>
        )}
        {loading && (
          <p className="chat-loading" role="status">
            <span className="spinner" aria-hidden="true" /> Loading the conversation…
          </p>
        )}
        {(conversationId === undefined || empty) && (
          <EmptyConversation agents={agents} workflows={workflowList} onSend={onSendStarter} />
        )}
        {/* Busy until the socket's join has brought the history and live updates flow. */}
        <div
          className="chat-log"
          ref={log}
          role="log"
          aria-label="Conversation"
          aria-relevant="additions"
          aria-busy={conversationId !== undefined && state?.synced !== true}
          data-conversation={conversationId}
        >
          {/* A box of its own: a streamed word below it neither lays it out nor paints it again (styles.css). */}
          <div className="chat-log-items">
            <LogItems items={items} runs={workflowRuns} workflows={workflows} />
          </div>
          {streams.map((stream) => (
            <StreamingMessageItem key={stream.runId} stream={stream} />
          ))}
          {[...outbox]
            .sort((a, b) => a.order - b.order)
            .map((message) => (
              <OutgoingMessageItem
                key={message.clientMsgId}
                message={message}
                online={online}
                onRetry={() => onRetry(message.clientMsgId)}
                onDiscard={() => onDiscard(message.clientMsgId)}
              />
            ))}
        </div>
        {busy.length > 0 && (
          <p className="working-row" data-testid="working-indicator">
            <span className="typing-dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            {busy.map((run, index) => (
              <span key={run.runId}>
                {index > 0 && ", "}
                <AgentChip name={run.agent} />
              </span>
            ))}{" "}
            {busy.length === 1 ? "is" : "are"} working…
          </p>
        )}
        {busy
          .filter((run) => run.slow !== undefined)
          .map((run) => (
            <p key={run.runId} className="working-row model-slow" role="status" data-testid="model-slow" data-run-id={run.runId}>
              <AgentChip name={run.agent} /> {run.slow}
            </p>
          ))}
      </div>
      {jumped && onBackToTrace !== undefined && (
        <button type="button" className="button back-to-trace" data-testid="back-to-trace" onClick={onBackToTrace}>
          ← Back to trace
        </button>
      )}
      {unseen && (
        <button type="button" className="button jump-to-latest" onClick={scrollToEnd}>
          ↓ New activity
        </button>
      )}
    </div>
  );
});
