import type { MessageEvent } from "../chat-items.js";
import type { OutgoingMessage, StreamingMessage } from "../conversation-store.js";
import { formatClock, formatDateTime } from "../format.js";
import { countRender } from "../render-count.js";
import { memo, type ReactNode } from "react";
import { AgentAvatar, agentStyle } from "./agent-badge.js";
import { splitStreamingText } from "../streaming-text.js";
import { Markdown } from "./markdown.js";
import { AnswerRetry, UserMessageActions } from "./turn-actions.js";

/** `data-agent` for the person using the page; agent names cannot clash with it in practice. */
export const USER = "user";

function Meta({ author, at, children }: { author: string; at: string | undefined; children?: ReactNode }) {
  return (
    <header className="message-meta">
      <span className="message-author">{author}</span>
      {at !== undefined && (
        <time dateTime={at} title={formatDateTime(at)}>
          {formatClock(at)}
        </time>
      )}
      {children}
    </header>
  );
}

/** A message from the log: the user's on the right, an agent's on the left with its avatar. */
export const MessageItem = memo(function MessageItem({ event }: { event: MessageEvent }) {
  countRender("message");
  if (event.type === "message.user") {
    return (
      <article className="message from-user" data-testid="message" data-agent={USER} data-event-id={event.id}>
        <div className="bubble">
          <Meta author="You" at={event.at} />
          <UserMessageActions event={event}>
            <p className="user-text">{event.data.text}</p>
          </UserMessageActions>
        </div>
      </article>
    );
  }
  const agent = event.agent ?? "agent";
  return (
    <article
      className="message from-agent"
      data-testid="message"
      data-agent={agent}
      data-event-id={event.id}
      data-run-id={event.runId}
      style={agentStyle(agent)}
    >
      <AgentAvatar name={agent} />
      <div className="bubble">
        <Meta author={agent} at={event.at} />
        <Markdown text={event.data.text} />
        <AnswerRetry eventId={event.id} />
      </div>
    </article>
  );
});

/** Formats only when its text changed: the settled part of a streaming answer stays as it is. */
const SettledMarkdown = memo(Markdown);

/** An answer still being written, word by word; its final message replaces it. */
export const StreamingMessageItem = memo(function StreamingMessageItem({ stream }: { stream: StreamingMessage }) {
  countRender("streaming-message");
  return (
    <article
      className="message from-agent is-streaming"
      data-testid="streaming-message"
      data-agent={stream.agent}
      data-run-id={stream.runId}
      aria-busy="true"
      // Announcing every word would drown a screen reader; the final message is announced instead.
      aria-live="off"
      style={agentStyle(stream.agent)}
    >
      <AgentAvatar name={stream.agent} />
      <div className="bubble">
        <Meta author={stream.agent} at={undefined}>
          <span className="writing">
            <span className="typing-dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            writing
          </span>
        </Meta>
        <StreamingText text={stream.text} />
      </div>
    </article>
  );
});

/** The streaming text: its settled blocks formatted once, the block being written per frame. */
function StreamingText({ text }: { text: string }) {
  const { settled, tail } = splitStreamingText(text);
  return (
    <div className="streaming-text">
      {settled !== "" && <SettledMarkdown text={settled} />}
      <Markdown text={tail} />
    </div>
  );
}

/** The user's message before it is in the log: sending, waiting for the connection, or failed. */
export function OutgoingMessageItem({
  message,
  online,
  onRetry,
  onDiscard,
}: {
  message: OutgoingMessage;
  online: boolean;
  onRetry: () => void;
  onDiscard: () => void;
}) {
  const status =
    message.status === "failed" ? undefined : message.status === "sent" ? "Sent" : online ? "Sending…" : "Waiting for the connection…";
  return (
    <article
      className={`message from-user is-${message.status}`}
      data-testid="message"
      data-agent={USER}
      data-event-id={message.eventId}
      data-pending={message.status === "sent" ? "false" : "true"}
      data-status={message.status}
    >
      <div className="bubble">
        <Meta author="You" at={undefined} />
        <p className="user-text">{message.text}</p>
        {status !== undefined && (
          <p className="message-status" role="status">
            {status}
          </p>
        )}
        {message.status === "failed" && (
          <div className="message-failed" role="alert">
            <span>Not sent: {message.error ?? "the server refused it."}</span>
            <span className="message-actions">
              <button type="button" className="button button-small" onClick={onRetry} data-testid="retry-message">
                Retry
              </button>
              <button type="button" className="button button-small button-quiet" onClick={onDiscard}>
                Discard
              </button>
            </span>
          </div>
        )}
      </div>
    </article>
  );
}
