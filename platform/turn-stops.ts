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

/**
 * `stopsTurn` for scripts: `later_or_same(a, b)`, stream id `a` is `b` or after it (compared as
 * numbers, not text), and `stops_turn(marker, turn)`, the stop marker hash `marker` covers the turn
 * of user message `turn`.
 */
export const STOP_MARKER_LUA = `
local function later_or_same(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if not am or not bm then return false end
  if #am ~= #bm then return #am > #bm end
  if am ~= bm then return am > bm end
  return tonumber(as) >= tonumber(bs)
end
local function stops_turn(marker, turn)
  local through = redis.call('HGET', marker, 'through')
  return through ~= false and later_or_same(through, turn)
end
`;

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
${STOP_MARKER_LUA}
local through = redis.call('HGET', KEYS[1], 'through')
if not through or not later_or_same(through, ARGV[1]) then
  redis.call('HSET', KEYS[1], 'through', ARGV[1], 'by', ARGV[2], 'reason', ARGV[3], 'at', ARGV[4])
end
local marker = redis.call('HMGET', KEYS[1], 'through', 'by', 'reason', 'at')
redis.call('SPUBLISH', KEYS[2], cjson.encode({through = marker[1], by = marker[2], reason = marker[3], at = marker[4]}))
return marker
`;

/**
 * How long a conversation's stop channel stays subscribed after its last watcher ends: the runs of
 * one turn (a handoff's next run, the next message's) follow each other within moments, and each
 * would otherwise cost a SSUBSCRIBE and a SUNSUBSCRIBE.
 */
export const STOP_WATCH_LINGER_MS = 30_000;

/** A channel kept subscribed while runs watch it, and for a while after. */
interface Hold {
  watchers: number;
  release: NodeJS.Timeout | undefined;
  /** The listener that keeps the subscription while no run watches; it ignores what it hears. */
  keep: (message: string) => void;
}

type StopCommand = { sbStop(marker: string, channel: string, through: string, by: string, reason: string, at: string): Promise<(string | null)[]> };

/**
 * Stop markers in Redis, under the conversation's hash tag. The marker is the durable truth a run
 * checks when it starts or resumes and, atomically, before it logs its answer; the announcement
 * only makes a run streaming right now stop at once.
 */
export class TurnStops {
  private readonly holds = new Map<string, Hold>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly lingerMs = STOP_WATCH_LINGER_MS,
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
    await this.hold(subscriber, channel);
    return () => {
      subscriber.unsubscribe(channel, listener);
      this.release(subscriber, channel);
    };
  }

  /** One more watcher of the channel: a pending release is called off. */
  private async hold(subscriber: ShardedSubscriber, channel: string): Promise<void> {
    const held = this.holds.get(channel);
    if (held) {
      held.watchers += 1;
      clearTimeout(held.release);
      held.release = undefined;
      return;
    }
    const hold: Hold = { watchers: 1, release: undefined, keep: () => {} };
    this.holds.set(channel, hold);
    // Subscribed already (the watcher's listener): this adds a listener, not a command.
    await subscriber.subscribe(channel, hold.keep);
  }

  /** One watcher fewer: the last one leaves the channel subscribed for `lingerMs` more. */
  private release(subscriber: ShardedSubscriber, channel: string): void {
    const hold = this.holds.get(channel);
    if (!hold || --hold.watchers > 0) return;
    hold.release = setTimeout(() => {
      this.holds.delete(channel);
      subscriber.unsubscribe(channel, hold.keep);
    }, this.lingerMs);
    hold.release.unref();
  }
}
