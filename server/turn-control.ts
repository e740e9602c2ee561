import type { ConversationLog } from "../platform/conversation-log.js";
import type { Queues } from "../platform/queues.js";
import { stopsTurn, type TurnStops } from "../platform/turn-stops.js";
import type { Conversation } from "../shared/api.js";
import { SwitchboardError } from "../shared/errors.js";
import type { EventType } from "../shared/events.js";
import { compareStreamIds } from "../shared/stream-id.js";
import { MessageEventId, type StopTurnResult } from "../shared/turn-control.js";
import { pendingRuns, type PendingRun } from "../shared/turn-status.js";
import type { MessageIntake } from "./message-intake.js";

/** How far back a stop looks for runs still going: far more entries than a turn writes. */
const RECENT_ENTRIES = 2000;
const RUN_TYPES: ReadonlySet<EventType> = new Set(["message.user", "handoff", "run.started", "run.completed", "run.failed", "run.cancelled"]);

/**
 * Stop, retry and edit, for REST and the socket alike; the caller has checked that the
 * conversation is the user's. Whether a turn runs is read from the log (its runs started or handed
 * to and not ended); a stop writes the conversation's durable stop marker and announces it, and
 * the runs end themselves with `run.cancelled` (docs/durability.md says why that is exactly once).
 */
export class TurnControl {
  constructor(
    private readonly conversationLog: ConversationLog,
    private readonly intake: MessageIntake,
    private readonly stops: TurnStops,
    private readonly queues: Queues,
  ) {}

  /** Stops every run of the conversation's turns still going; refused when none is. */
  async stop(conversationId: string, by: string, reason?: string): Promise<StopTurnResult> {
    const running = await this.pending(conversationId);
    const newest = running.map((run) => run.turn).sort(compareStreamIds).at(-1);
    if (newest === undefined) throw new SwitchboardError("no_running_turn", "Nothing is running in this conversation: there is no turn to stop.");
    const marker = await this.stops.stop(conversationId, { through: newest, by, reason: reason ?? `Stopped by ${by}.`, at: new Date().toISOString() });
    // A run parked for a person's approval is woken to see the marker; the others see it as they go on.
    await Promise.all(running.map((run) => this.queues.wake({ conversationId }, run.agent, run.runId)));
    return { stopped: running.map((run) => run.runId), by: marker.by };
  }

  /** Stops the conversation's running turn, as `stop`; false when none runs (one that ended is left as it ended). */
  async stopIfRunning(conversationId: string, by: string, reason: string): Promise<boolean> {
    try {
      await this.stop(conversationId, by, reason);
      return true;
    } catch (error) {
      if (error instanceof SwitchboardError && error.code === "no_running_turn") return false;
      throw error;
    }
  }

  /**
   * Sends the user message `eventId` again (`retry`), or new text in its place (`edit`), as a new
   * message that names the one it replaces, and starts a turn for it. Refused while a turn runs
   * (that a stop did not already cover): the user stops it first. `admit` (the rate limit) runs
   * once the request is known to be acceptable, so a refused one does not count.
   */
  async replace(input: {
    owner: string;
    conversation: Conversation;
    eventId: string;
    mode: "retry" | "edit";
    text?: string;
    clientMsgId?: string;
    admit: () => Promise<void>;
  }): Promise<string> {
    const { conversation, eventId } = input;
    const target = MessageEventId.safeParse(eventId).success ? await this.conversationLog.get(conversation.id, eventId) : undefined;
    if (!target) throw new SwitchboardError("unknown_message", `No message "${eventId}" in this conversation.`);
    if (target.type !== "message.user") {
      throw new SwitchboardError("not_user_message", `The event "${eventId}" is a ${target.type} event, not a user's message: only those can be retried or edited.`);
    }
    const [running, marker] = await Promise.all([this.pending(conversation.id), this.stops.read(conversation.id)]);
    const going = running.filter((run) => !stopsTurn(marker, run.turn));
    if (going.length > 0) {
      throw new SwitchboardError("turn_running", "A turn is still running in this conversation: stop it first, then retry or edit.", {
        runs: going.map((run) => run.runId),
      });
    }
    await input.admit();
    return this.intake.post({
      owner: input.owner,
      conversationId: conversation.id,
      title: conversation.title,
      directAgent: conversation.directAgent,
      text: input.mode === "edit" && input.text !== undefined ? input.text : target.data.text,
      ...(input.clientMsgId ? { clientMsgId: input.clientMsgId } : {}),
      replaces: { eventId, mode: input.mode },
    });
  }

  private async pending(conversationId: string): Promise<PendingRun[]> {
    return pendingRuns(conversationId, await this.conversationLog.readLatest(conversationId, RECENT_ENTRIES, RUN_TYPES));
  }
}
