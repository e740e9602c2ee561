import { randomUUID } from "node:crypto";
import { Role, TaskState, type Message, type Part } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext } from "@a2a-js/sdk/server";
import type { Conversations } from "../../platform/conversations.js";
import type { LogTail } from "../../platform/log-tail.js";
import type { Logger } from "../../platform/logger.js";
import { SwitchboardError } from "../../shared/errors.js";
import type { Event } from "../../shared/events.js";
import { clientFacing } from "../http-error.js";
import { followLog } from "../log-follow.js";
import type { MessageIntake } from "../message-intake.js";
import type { TurnControl } from "../turn-control.js";
import { TurnProgress, type TurnOutcome } from "../turn-progress.js";
import { callerOf } from "./caller.js";

/** The text of an A2A message: its text parts, in order; undefined when it has none. */
export function messageText(message: Message): string | undefined {
  const texts = message.parts.flatMap((part) => (part.content?.$case === "text" ? [part.content.value] : []));
  return texts.length === 0 ? undefined : texts.join("\n");
}

const textPart = (text: string): Part => ({ content: { $case: "text", value: text }, mediaType: "text/plain", filename: "", metadata: undefined });

/** A task whose turn this process follows: where the turn runs, whose it is; aborting stops the following. */
interface Running {
  conversationId: string;
  owner: string;
  following: AbortController;
}

export interface TeamExecutorDeps {
  conversations: Conversations;
  intake: MessageIntake;
  turns: TurnControl;
  tail: LogTail;
  log: Logger;
}

/**
 * Runs one A2A task as one turn of the team: the task's message is posted to its conversation
 * (the task's context) like a message from the browser, and the turn's events, followed in the
 * conversation log, become the task's updates: `working` with a message for each handoff, the
 * final answer as the artifact, then `completed`; `failed` when the turn's last run failed,
 * `canceled` when someone stopped the turn. The conversation was checked (or made) for the caller
 * before the SDK got here (see TeamRequestHandler).
 */
export class TeamExecutor implements AgentExecutor {
  /** Tasks whose turns this process follows, by task id. */
  private readonly running = new Map<string, Running>();

  constructor(private readonly deps: TeamExecutorDeps) {}

  execute = async (request: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId: conversationId } = request;
    /** A status update; with `text`, an agent message carrying `metadata`, else `metadata` on the update. */
    const status = (state: TaskState, text?: string, metadata?: Record<string, unknown>) =>
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId: conversationId,
          status: {
            state,
            message: text === undefined ? undefined : this.agentMessage(taskId, conversationId, text, metadata),
            timestamp: new Date().toISOString(),
          },
          metadata: text === undefined ? metadata : undefined,
        }),
      );
    bus.publish(
      AgentEvent.task({
        id: taskId,
        contextId: conversationId,
        status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
        artifacts: [],
        history: [request.userMessage],
        metadata: undefined,
      }),
    );
    let outcome: TurnOutcome;
    try {
      outcome = await this.runTurn(request, {
        // Where the turn is, for a client that also uses the REST API or the browser.
        started: (runId) => status(TaskState.TASK_STATE_WORKING, undefined, { conversationId, runId }),
        event: (event) => {
          if (event.type !== "handoff") return;
          const { from, to, mode, reason } = event.data;
          const did = mode === "transfer" ? "transferred the conversation" : "delegated a task";
          status(TaskState.TASK_STATE_WORKING, `${from} ${did} to ${to}: ${reason}`, { from, to, mode });
        },
      });
    } catch (error) {
      const known = clientFacing(error, this.deps.log, "an A2A task's turn could not be followed");
      status(TaskState.TASK_STATE_FAILED, known.message, { code: known.code });
      return;
    }
    if (outcome.state === "completed") {
      if (outcome.answer) {
        bus.publish(
          AgentEvent.artifactUpdate({
            taskId,
            contextId: conversationId,
            artifact: {
              artifactId: outcome.answer.id,
              name: "answer",
              description: `The answer of ${outcome.answer.agent ?? "the team"}`,
              parts: [textPart(outcome.answer.data.text)],
              metadata: { agent: outcome.answer.agent },
              extensions: [],
            },
            append: false,
            lastChunk: true,
            metadata: undefined,
          }),
        );
      }
      status(TaskState.TASK_STATE_COMPLETED);
    } else if (outcome.state === "failed") {
      status(TaskState.TASK_STATE_FAILED, outcome.reason);
    } else {
      status(TaskState.TASK_STATE_CANCELED, outcome.reason, { by: outcome.by });
    }
  };

  /** Stops the task's turn; the turn's runs end with `run.cancelled`, which ends the task as `canceled`. */
  cancelTask = async (taskId: string): Promise<void> => {
    const running = this.running.get(taskId);
    if (running) await this.deps.turns.stopIfRunning(running.conversationId, running.owner, `Cancelled by ${running.owner} through A2A.`);
  };

  /** Ends the following of every turn (the server is stopping): their tasks fail here, their turns go on. */
  close(): void {
    for (const running of this.running.values()) running.following.abort();
  }

  /**
   * Posts the task's message and follows the turn it starts until it is over. The message's
   * `clientMsgId` is `a2a-<task id>`: the log says which task each message started.
   */
  private async runTurn(request: RequestContext, on: { started: (runId: string) => void; event: (event: Event) => void }): Promise<TurnOutcome> {
    const { taskId, contextId: conversationId } = request;
    const owner = callerOf(request.context).identity.user;
    const conversation = await this.deps.conversations.get(owner, conversationId);
    if (!conversation) throw new SwitchboardError("unknown_conversation", `No conversation "${conversationId}".`);
    const text = messageText(request.userMessage) ?? "";
    const following = new AbortController();
    this.running.set(taskId, { conversationId, owner, following });
    try {
      const eventId = await this.deps.intake.post({ owner, conversationId, title: conversation.title, directAgent: conversation.directAgent, text, clientMsgId: `a2a-${taskId}` });
      const progress = new TurnProgress(`${conversationId}-${eventId}`);
      on.started(progress.rootRunId);
      const outcome = await followLog(this.deps.tail, conversationId, eventId, following.signal, (event) => {
        if (!progress.owns(event)) return undefined;
        on.event(event);
        return progress.observe(event);
      });
      if (outcome === undefined) {
        throw new SwitchboardError("unavailable", "The server stopped following this turn: read the task again (tasks/get), or follow its conversation.");
      }
      return outcome;
    } finally {
      this.running.delete(taskId);
    }
  }

  private agentMessage(taskId: string, contextId: string, text: string, metadata?: Record<string, unknown>): Message {
    return { messageId: randomUUID(), contextId, taskId, role: Role.ROLE_AGENT, parts: [textPart(text)], metadata, extensions: [], referenceTaskIds: [] };
  }
}
