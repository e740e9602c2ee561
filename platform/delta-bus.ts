import type { MessageDelta } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import { StreamedText } from "../shared/streamed-text.js";
import type { Write } from "./conversation-log.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";

/** A delta as a run hands it over: the publisher numbers it. */
export type NewDelta = Omit<MessageDelta, "seq">;

/**
 * Keeps each streaming run's text (KEYS[2], a string the deltas are APPENDed to, so a delta costs
 * the same however long the answer) and its place (field `<run id>` of the conversation's
 * `:streaming` hash, KEYS[1]: `<attempt> <seq> <after> <agent>`), and publishes the delta on the
 * conversation's sharded channel (KEYS[3]), in one atomic step: the text a joining client is given
 * and the deltas it receives next never disagree. `seq` counts the run's deltas and never goes back
 * while the field lives; `after` is the id of the run's logged event the text follows ('0': none).
 * ARGV: run id, what happened, TTL (ms), agent, then
 * - `delta`: attempt, text, the delta's JSON without its opening brace. A new attempt starts the
 *   text over (a retried step); the delta goes out as `{"seq":<n>,` and that JSON.
 * - `logged`: the id of the event that now holds the text (the run's message, or the notice that
 *   its step runs again): the text starts over, empty, after it.
 * When the run ends, its field and text go with its last write (`DeltaPublisher.endWrites`).
 * All three keys carry the conversation's hash tag: one slot.
 */
const STREAM_SCRIPT = `
local attempt, seq, after = '0', 0, '0'
local kept = redis.call('HGET', KEYS[1], ARGV[1])
if kept then
  local a, s, f = string.match(kept, '^(%d+) (%d+) (%S+)')
  attempt, seq, after = a, tonumber(s), f
end
if ARGV[2] == 'logged' then
  attempt, after = '0', ARGV[5]
  redis.call('DEL', KEYS[2])
else
  seq = seq + 1
  if ARGV[5] ~= attempt then redis.call('SET', KEYS[2], ARGV[6]) else redis.call('APPEND', KEYS[2], ARGV[6]) end
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  attempt = ARGV[5]
end
redis.call('HSET', KEYS[1], ARGV[1], attempt .. ' ' .. seq .. ' ' .. after .. ' ' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[2] == 'delta' then redis.call('SPUBLISH', KEYS[3], '{"seq":' .. seq .. ',' .. ARGV[7]) end
return seq
`;

/**
 * Reads the places (KEYS[1], fields ARGV) and texts (KEYS[2…]) of the runs named, in one atomic
 * step, so each text is exactly the one its `seq` describes: `{place, text, place, text, …}`.
 */
const READ_SCRIPT = `
local out = {}
for i = 1, #ARGV do
  out[2 * i - 1] = redis.call('HGET', KEYS[1], ARGV[i])
  out[2 * i] = redis.call('GET', KEYS[i + 1])
end
return out
`;

const PLACE = /^(\d+) (\d+) (\S+) (\S+)$/;

type StreamCommands = {
  sbStreamText(streaming: string, text: string, channel: string, runId: string, op: "delta" | "logged", ttlMs: number, agent: string, ...rest: string[]): Promise<number>;
  sbStreamRead(numberOfKeys: number, ...keysAndRunIds: string[]): Promise<(string | null)[]>;
};

function defineScripts(redis: RedisClient): void {
  if (!("sbStreamText" in redis)) redis.defineCommand("sbStreamText", { numberOfKeys: 3, lua: STREAM_SCRIPT });
  if (!("sbStreamRead" in redis)) redis.defineCommand("sbStreamRead", { lua: READ_SCRIPT });
}

export interface DeltaPublisherOptions {
  /**
   * How long a run's kept text outlives its last delta. Keep it above the model's idle limit: a
   * stream silent for longer is cut and its step runs again (a new attempt) anyway.
   */
  ttlMs: number;
}

/**
 * Token deltas are live: published on the conversation's sharded channel (SPUBLISH, in the
 * conversation's slot, so only the servers that follow it hear of it). Deltas of one tick are
 * coalesced per run into one message, so a fast model does not cost a publish per word. The same
 * script keeps the run's text so far (short-lived) for clients that join mid-answer; the run says
 * when that text is logged and when it has ended.
 */
export class DeltaPublisher {
  private readonly buffered = new Map<string, NewDelta>();
  private scheduled = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly log: Logger,
    private readonly options: DeltaPublisherOptions,
  ) {
    defineScripts(redis);
  }

  publish(delta: NewDelta): void {
    const key = bufferKey(delta.conversationId, delta.runId);
    const pending = this.buffered.get(key);
    if (pending && pending.attempt === delta.attempt) {
      pending.text += delta.text;
      return;
    }
    // A new attempt's first words go out after the previous attempt's last ones, never merged.
    if (pending) this.send(key);
    this.buffered.set(key, { ...delta });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * The run's text so far is in the log now, in the event `eventId` (its message, or the notice
   * that its step runs again): a client joining from here is given only what the run streams next.
   */
  async logged(conversationId: string, runId: string, agent: string, eventId: string): Promise<void> {
    // The run's buffered words are sent first: commands of one slot go out in order on one connection.
    this.send(bufferKey(conversationId, runId));
    try {
      await this.script(conversationId, runId, "logged", agent, eventId);
    } catch (error) {
      // The kept text then lives until its TTL; the log and the live deltas are right regardless.
      this.log.warn({ err: error, conversationId, runId }, "could not update a run's streaming text");
    }
  }

  /**
   * The run has ended: nothing of it is kept. As writes for the script that ends the run with its
   * last events and checkpoint (`ConversationLog.appendWriting`); the run's buffered words are sent
   * first, on the same connection, so none of them can land after those writes.
   */
  endWrites(conversationId: string, runId: string): Write[] {
    this.send(bufferKey(conversationId, runId));
    return [
      { op: "del", key: this.keys.streamingText(conversationId, runId) },
      { op: "hdel", key: this.keys.streaming(conversationId), field: runId },
    ];
  }

  private flush(): void {
    this.scheduled = false;
    for (const key of [...this.buffered.keys()]) this.send(key);
  }

  private send(key: string): void {
    const delta = this.buffered.get(key);
    if (!delta) return;
    this.buffered.delete(key);
    const { conversationId, runId, agent, text } = delta;
    this.script(conversationId, runId, "delta", agent, String(delta.attempt ?? 1), text, JSON.stringify(delta).slice(1)).catch((error: unknown) => {
      // Deltas are a live preview; the final message is durable, so a lost delta is only logged.
      this.log.warn({ err: error, conversationId }, "could not publish a token delta");
    });
  }

  private script(conversationId: string, runId: string, op: "delta" | "logged", agent: string, ...rest: string[]): Promise<number> {
    const { keys } = this;
    return commands(this.redis).sbStreamText(
      keys.streaming(conversationId),
      keys.streamingText(conversationId, runId),
      keys.deltas(conversationId),
      runId,
      op,
      this.options.ttlMs,
      agent,
      ...rest,
    );
  }
}

/** Reads the texts a conversation's runs are streaming, for a client that joins. */
export class StreamingTexts {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    defineScripts(redis);
  }

  /**
   * Runs with text streamed and not yet logged, in no particular order. The runs are listed first,
   * then read in one atomic step; a run that starts in between streams all its deltas to a client
   * that follows the conversation's deltas already, as joining sockets do.
   */
  async read(conversationId: string): Promise<StreamedText[]> {
    const runIds = await this.redis.hkeys(this.keys.streaming(conversationId));
    if (runIds.length === 0) return [];
    const textKeys = runIds.map((runId) => this.keys.streamingText(conversationId, runId));
    const read = await commands(this.redis).sbStreamRead(1 + textKeys.length, this.keys.streaming(conversationId), ...textKeys, ...runIds);
    const texts: StreamedText[] = [];
    runIds.forEach((runId, index) => {
      const place = PLACE.exec(read[2 * index] ?? "");
      const text = read[2 * index + 1] ?? "";
      if (!place || text === "") return;
      const [, attempt, seq, after, agent] = place as unknown as [string, string, string, string, string];
      const parsed = StreamedText.safeParse({
        runId,
        agent,
        text,
        seq: Number(seq),
        ...(Number(attempt) > 1 ? { attempt: Number(attempt) } : {}),
        ...(after === "0" ? {} : { after }),
      });
      if (parsed.success) texts.push(parsed.data);
    });
    return texts;
  }
}

const commands = (redis: RedisClient) => redis as unknown as StreamCommands;
const bufferKey = (conversationId: string, runId: string) => `${conversationId}\u0000${runId}`;
