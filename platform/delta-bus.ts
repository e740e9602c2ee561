import type { MessageDelta } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";

/**
 * Token deltas are live-only: published on the conversation's sharded channel (SPUBLISH, in the
 * conversation's slot, so only the servers that follow it hear of it), never stored. Deltas of one
 * tick are coalesced per run into one message, so a fast model does not cost a publish per word.
 */
export class DeltaPublisher {
  private readonly buffered = new Map<string, MessageDelta>();
  private scheduled = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly log: Logger,
  ) {}

  publish(delta: MessageDelta): void {
    const key = `${delta.conversationId}\u0000${delta.runId}`;
    const pending = this.buffered.get(key);
    if (pending) pending.text += delta.text;
    else this.buffered.set(key, { ...delta });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    for (const delta of this.buffered.values()) {
      this.redis.spublish(this.keys.deltas(delta.conversationId), JSON.stringify(delta)).catch((error: unknown) => {
        // Deltas are a live preview; the final message is durable, so a lost delta is only logged.
        this.log.warn({ err: error, conversationId: delta.conversationId }, "could not publish a token delta");
      });
    }
    this.buffered.clear();
  }
}
