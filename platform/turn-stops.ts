import { z } from "zod";
import type { Keys } from "../shared/keys.js";
import { compareStreamIds } from "../shared/stream-id.js";
import type { RedisClient, ShardedSubscriber } from "./redis.js";

/**
 * A conversation's stop marker: every run of a turn whose user message is `through` or earlier
 * stops. One per conversation; a later stop moves `through` on, never back.
 */
export const StopMarker = z.object({
  /** Stream id of the newest user message whose turn is stopped. */
  through: z.string(),
  /** The user who stopped it. */
  by: z.string(),
  reason: z.string(),
  at: z.string(),
});
export type StopMarker = z.infer<typeof StopMarker>;

/** True when `marker` stops the turn of user message `turn`. */
export function stopsTurn(marker: StopMarker | undefined, turn: string | undefined): marker is StopMarker {
  return marker !== undefined && turn !== undefined && compareStreamIds(marker.through, turn) >= 0;
}

/**
 * Writes the marker unless one already reaches as far, and announces the marker in force on the
 * conversation's sharded channel, in one atomic step (both keys share the conversation's slot).
 * KEYS: marker hash, channel. ARGV: through, by, reason, at.
 */
const STOP_SCRIPT = `
local function later(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am > #bm end
  if am ~= bm then return am > bm end
  return tonumber(as) > tonumber(bs)
end
local through = redis.call('HGET', KEYS[1], 'through')
if not through or later(ARGV[1], through) then
  redis.call('HSET', KEYS[1], 'through', ARGV[1], 'by', ARGV[2], 'reason', ARGV[3], 'at', ARGV[4])
end
local marker = redis.call('HMGET', KEYS[1], 'through', 'by', 'reason', 'at')
redis.call('SPUBLISH', KEYS[2], cjson.encode({through = marker[1], by = marker[2], reason = marker[3], at = marker[4]}))
return marker
`;

type StopCommand = { sbStop(marker: string, channel: string, through: string, by: string, reason: string, at: string): Promise<(string | null)[]> };

/**
 * Stop markers in Redis, under the conversation's hash tag. The marker is the durable truth a run
 * checks when it starts or resumes and, atomically, before it logs its answer; the announcement
 * only makes a run streaming right now stop at once.
 */
export class TurnStops {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    if (!("sbStop" in redis)) redis.defineCommand("sbStop", { numberOfKeys: 2, lua: STOP_SCRIPT });
  }

  /** Stops every turn up to user message `through`; returns the marker in force afterwards. */
  async stop(conversationId: string, marker: StopMarker): Promise<StopMarker> {
    const [through, by, reason, at] = await (this.redis as unknown as StopCommand).sbStop(
      this.keys.stop(conversationId),
      this.keys.stops(conversationId),
      marker.through,
      marker.by,
      marker.reason,
      marker.at,
    );
    return StopMarker.parse({ through, by, reason, at });
  }

  async read(conversationId: string): Promise<StopMarker | undefined> {
    const fields = await this.redis.hgetall(this.keys.stop(conversationId));
    const parsed = StopMarker.safeParse(fields);
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Calls `onStop` when a stop of the conversation is announced from now on; resolves once the
   * subscription is in effect, with the function that ends it.
   */
  async watch(subscriber: ShardedSubscriber, conversationId: string, onStop: (marker: StopMarker) => void): Promise<() => void> {
    const channel = this.keys.stops(conversationId);
    const listener = (message: string) => {
      try {
        const marker = StopMarker.safeParse(JSON.parse(message));
        if (marker.success) onStop(marker.data);
      } catch {
        // Not a marker: nothing to stop; the durable marker is checked again before the answer.
      }
    };
    await subscriber.subscribe(channel, listener);
    return () => subscriber.unsubscribe(channel, listener);
  }
}
