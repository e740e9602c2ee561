import { useState } from "react";
import type { RecordedMessage, RecordedStep, RecordedToolCall } from "../../../shared/run-steps.js";
import { formatCount, formatMs, formatTokens } from "../format.js";

/** Text longer than this starts folded to its first lines. */
const FOLDED_CHARS = 600;

/** Model text as plain, inert text (never HTML), long text folded with a control to show it all. */
function LongText({ text, truncatedChars }: { text: string; truncatedChars?: number | undefined }) {
  const [open, setOpen] = useState(false);
  const long = text.length > FOLDED_CHARS;
  const shown = long && !open ? `${text.slice(0, FOLDED_CHARS)}…` : text;
  return (
    <>
      <pre className="trace-text">{shown === "" ? <span className="muted">(no text)</span> : shown}</pre>
      {long && (
        <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen((value) => !value)}>
          {open ? "Show less" : `Show all ${formatCount(text.length)} characters`}
        </button>
      )}
      {truncatedChars !== undefined && truncatedChars > 0 && (
        <p className="trace-note">{formatCount(truncatedChars)} more characters were not kept with the run.</p>
      )}
    </>
  );
}

function ToolCalls({ calls }: { calls: readonly RecordedToolCall[] }) {
  if (calls.length === 0) return null;
  return (
    <ul className="trace-tool-calls">
      {calls.map((call) => (
        <li key={call.id}>
          <span className="trace-tool-name">{call.name}</span>
          <code className="trace-tool-args">{call.arguments}</code>
        </li>
      ))}
    </ul>
  );
}

function Message({ message }: { message: RecordedMessage }) {
  return (
    <li className={`trace-message role-${message.role}`} data-testid="step-message" data-role={message.role}>
      <span className="trace-role">
        {message.role}
        {message.toolCallId !== undefined && <span className="muted"> · answers {message.toolCallId}</span>}
      </span>
      <LongText text={message.content} truncatedChars={message.truncatedChars} />
      <ToolCalls calls={message.toolCalls ?? []} />
    </li>
  );
}

/** What one model step was sent and what the model answered. */
export function RunStepDetail({ step }: { step: RecordedStep }) {
  const { sent, answer } = step;
  return (
    <div className="trace-step-detail" data-testid="step-detail">
      <section aria-label={`Sent to the model in step ${step.step + 1}`}>
        <h4 className="trace-step-heading">Sent to {step.model}</h4>
        <p className="trace-note">
          {sent.tools.length > 0 ? `Tools offered: ${sent.tools.join(", ")}` : "No tools offered"}
          {sent.omittedMessages > 0 && ` · ${sent.omittedMessages} earlier messages not kept with the run`}
        </p>
        <ol className="trace-messages">
          {sent.messages.map((message, index) => (
            <Message key={index} message={message} />
          ))}
        </ol>
      </section>
      <section aria-label={`The model's answer in step ${step.step + 1}`} data-testid="step-answer">
        <h4 className="trace-step-heading">The model answered</h4>
        <LongText text={answer.text} truncatedChars={answer.truncatedChars} />
        <ToolCalls calls={answer.toolCalls} />
        <p className="trace-note">
          finish: {answer.finishReason} · {formatMs(step.latencyMs)} · {formatTokens(answer.usage.totalTokens)} ({formatCount(answer.usage.promptTokens)} in,{" "}
          {formatCount(answer.usage.completionTokens)} out)
        </p>
      </section>
    </div>
  );
}
