import { TaskState, type AgentCard, type CancelTaskRequest, type Message, type SendMessageRequest, type StreamResponse, type Task } from "@a2a-js/sdk";
import { ContentTypeNotSupportedError, TaskNotCancelableError, UnsupportedOperationError } from "@a2a-js/sdk/errors";
import { DefaultExecutionEventBusManager, DefaultRequestHandler, type ServerCallContext, type TaskStore } from "@a2a-js/sdk/server";
import type { Conversations } from "../../platform/conversations.js";
import type { Logger } from "../../platform/logger.js";
import { ConversationId, PostMessageBody } from "../../shared/api.js";
import { SwitchboardError } from "../../shared/errors.js";
import { parseInput } from "../http-error.js";
import type { MessageIntake } from "../message-intake.js";
import type { RateLimits } from "../rate-limits.js";
import type { TurnControl } from "../turn-control.js";
import { callerOf, toA2AError } from "./caller.js";
import { messageText, type TeamExecutor } from "./team-executor.js";

const ENDED: ReadonlySet<TaskState | undefined> = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);

export interface TeamRequestHandlerDeps {
  card: AgentCard;
  tasks: TaskStore;
  executor: TeamExecutor;
  conversations: Conversations;
  intake: MessageIntake;
  turns: TurnControl;
  limits: RateLimits;
  maxMessageChars: number;
  log: Logger;
}

/**
 * The SDK's request handler, with what it cannot know of Switchboard done first:
 * - a message is checked and admitted as REST admits one (text, length, rate limits), and its
 *   `contextId` is made a conversation of the caller's: a new one when absent, the one named when
 *   the caller owns it, refused otherwise;
 * - a cancel of a task that another server process follows stops its turn here, through the
 *   conversation's durable stop marker (the SDK alone would only mark the stored task).
 */
export class TeamRequestHandler extends DefaultRequestHandler {
  private readonly buses: DefaultExecutionEventBusManager;

  constructor(private readonly deps: TeamRequestHandlerDeps) {
    const buses = new DefaultExecutionEventBusManager();
    super(deps.card, deps.tasks, deps.executor, buses);
    this.buses = buses;
  }

  override async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    return super.sendMessage(await this.admit(params, context), context);
  }

  override async *sendMessageStream(params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    yield* super.sendMessageStream(await this.admit(params, context), context);
  }

  override async cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    if (params.id && this.buses.getByTaskId(params.id, context) === undefined) {
      try {
        const task = await this.deps.tasks.load(params.id, context);
        if (task && !ENDED.has(task.status?.state)) {
          const by = callerOf(context).identity.user;
          const stopped = await this.deps.turns.stopIfRunning(task.contextId, by, `Cancelled by ${by} through A2A.`);
          if (!stopped) throw new TaskNotCancelableError(`Task ${params.id} has already ended.`);
        }
      } catch (error) {
        throw toA2AError(error, this.deps.log);
      }
    }
    return super.cancelTask(params, context);
  }

  private async admit(params: SendMessageRequest, context: ServerCallContext): Promise<SendMessageRequest> {
    const message = params.message;
    // The SDK refuses a request without a message.
    if (!message) return params;
    try {
      if (message.taskId) {
        throw new UnsupportedOperationError("Each message starts a task of its own: to go on with a conversation, send its contextId (and no taskId).");
      }
      const text = messageText(message);
      if (text === undefined) throw new ContentTypeNotSupportedError("Send the request as text: the team reads a message's text parts.");
      parseInput(PostMessageBody(this.deps.maxMessageChars), { text }, "invalid_message");
      const { identity, address } = callerOf(context);
      const actor = { user: identity.user, address };
      let conversationId = message.contextId;
      if (conversationId) {
        const conversation = ConversationId.safeParse(conversationId).success ? await this.deps.conversations.get(identity.user, conversationId) : undefined;
        if (!conversation) throw new SwitchboardError("unknown_conversation", `No conversation "${conversationId}" of yours: leave contextId out to start a new one.`);
        if (conversation.directAgent !== undefined) await this.deps.intake.checkDirectAgent(conversation.directAgent, "post");
        await this.deps.limits.consume("messages", actor);
      } else {
        await this.deps.limits.consume("messages", actor);
        await this.deps.limits.consume("conversations", actor);
        conversationId = (await this.deps.conversations.create(identity.user)).id;
      }
      return { ...params, message: { ...message, contextId: conversationId } };
    } catch (error) {
      throw toA2AError(error, this.deps.log);
    }
  }
}
