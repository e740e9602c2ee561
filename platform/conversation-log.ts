import { EVENT_SCHEMA_VERSION, Event, type EventType, type NewEvent } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";

/**
 * Checks the dedup index and appends in one atomic step, so a retried producer gets back the id it
 * already wrote instead of a second copy (Redis 7 has no idempotent XADD of its own). In the same
 * step it writes the state the event reports (a workflow run's journal entry) into the hash KEYS[3],
 * whether or not the event is new, and reads one field of that hash back (a cancel request).
 * A new entry is announced on the sharded channel KEYS[4] as `<previous entry's id> <id> <event>`:
 * a follower whose cursor is the previous id takes it as it is, one behind reads the log instead.
 * With a guard (a stream id), a new entry is not written when the hash's field `through` is that
 * id or later (a stop marker covering the run's turn): the reply's second element is then 2. All four keys carry the conversation's hash tag: one slot. ARGV: key, payload,
 * maxlen, ttl, field to read ('' for none), guard ('' for none), then field/value pairs to write.
 */
const APPEND_SCRIPT = `
local function later_or_same(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if not am or not bm then return false end
  if #am ~= #bm then return #am > #bm end
  if am ~= bm then return am > bm end
  return tonumber(as) >= tonumber(bs)
end
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
local watched = false
if ARGV[5] ~= '' then watched = redis.call('HGET', KEYS[3], ARGV[5]) end
if ARGV[1] ~= '' then
  local existing = redis.call('HGET', KEYS[2], ARGV[1])
  if existing then return {existing, 0, watched} end
end
if ARGV[6] ~= '' then
  local through = redis.call('HGET', KEYS[3], 'through')
  if through and later_or_same(through, ARGV[6]) then return {'', 2, watched} end
end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'e', ARGV[2])
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[1], id)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
redis.call('SPUBLISH', KEYS[4], (last and last[1] or '0') .. ' ' .. id .. ' ' .. ARGV[2])
return {id, 1, watched}
`;

/**
 * Appends one event as the append script does (once per key; '' payload: no event), then makes
 * the writes that follow in ARGV, in one atomic step: the state an event reports (a run's
 * checkpoint) and the event never disagree after a crash, and both cost one round trip. KEYS: the
 * log, its dedup index, its channel, then the written keys, all with the conversation's hash tag.
 * ARGV: key, payload, maxlen, dedup TTL, then per write: command, argument count, KEYS index, arguments.
 */
const APPEND_WRITING_SCRIPT = `
local allowed = {SET = true, HSET = true, EXPIRE = true, DEL = true, HDEL = true}
local id, created = '', 0
if ARGV[2] ~= '' then
  local existing = false
  if ARGV[1] ~= '' then existing = redis.call('HGET', KEYS[2], ARGV[1]) end
  if existing then
    id = existing
  else
    local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
    id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'e', ARGV[2])
    if ARGV[1] ~= '' then
      redis.call('HSET', KEYS[2], ARGV[1], id)
      redis.call('EXPIRE', KEYS[2], ARGV[4])
    end
    redis.call('SPUBLISH', KEYS[3], (last and last[1] or '0') .. ' ' .. id .. ' ' .. ARGV[2])
    created = 1
  end
end
local i = 5
while i <= #ARGV do
  if not allowed[ARGV[i]] then return redis.error_reply('not a write of this script: ' .. ARGV[i]) end
  local n = tonumber(ARGV[i + 1])
  redis.call(ARGV[i], KEYS[tonumber(ARGV[i + 2])], unpack(ARGV, i + 3, i + 2 + n))
  i = i + 3 + n
end
return {id, created}
`;

/** A write made with an event, atomically (`appendWriting`); its key must be of the event's conversation. */
export type Write =
  | { op: "set"; key: string; value: string; ttlSeconds?: number }
  | { op: "hset"; key: string; field: string; value: string }
  | { op: "expire"; key: string; seconds: number }
  | { op: "del"; key: string }
  | { op: "hdel"; key: string; field: string };

/** How long a dedup key is remembered: far longer than any retry of a step. */
const DEDUP_TTL_SECONDS = 7 * 24 * 3600;

type RawEntry = [id: string, fields: string[]];

export interface Appended {
  event: Event;
  /** False when the key was already in the log and nothing new was written. */
  created: boolean;
}

export class ConversationLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly log: Logger,
    private readonly retention: number,
  ) {
    if (!("sbAppend" in redis)) redis.defineCommand("sbAppend", { numberOfKeys: 4, lua: APPEND_SCRIPT });
    if (!("sbAppendWriting" in redis)) redis.defineCommand("sbAppendWriting", { lua: APPEND_WRITING_SCRIPT });
  }

  /**
   * Appends `event` (once per `key`, as `append` does; none when undefined) and makes `writes` in
   * the same atomic step and round trip. Returns what was appended.
   */
  async appendWriting(conversationId: string, event: NewEvent | undefined, key: string, writes: readonly Write[]): Promise<Appended | undefined> {
    const stored = event ? { ...event, at: event.at ?? new Date().toISOString(), v: EVENT_SCHEMA_VERSION } : undefined;
    const written: string[] = [];
    const index = (name: string) => {
      const at = written.indexOf(name);
      if (at >= 0) return String(at + 4);
      written.push(name);
      return String(written.length + 3);
    };
    const args = writes.flatMap((write): string[] => {
      const at = index(write.key);
      switch (write.op) {
        case "set":
          return write.ttlSeconds === undefined ? ["SET", "1", at, write.value] : ["SET", "3", at, write.value, "EX", String(write.ttlSeconds)];
        case "hset":
          return ["HSET", "2", at, write.field, write.value];
        case "expire":
          return ["EXPIRE", "1", at, String(write.seconds)];
        case "del":
          return ["DEL", "0", at];
        case "hdel":
          return ["HDEL", "1", at, write.field];
      }
    });
    const logKeys = [this.keys.events(conversationId), this.keys.dedup(conversationId), this.keys.appended(conversationId)];
    const [id, created] = await (this.redis as unknown as AppendWritingCommand).sbAppendWriting(
      3 + written.length,
      ...logKeys,
      ...written,
      key,
      stored ? JSON.stringify(stored) : "",
      this.retention,
      DEDUP_TTL_SECONDS,
      ...args,
    );
    if (!stored) return undefined;
    // Built from a typed NewEvent: not parsed again. A retry's copy is the one logged first.
    if (created === 1) return { event: { ...stored, id, conversationId } as Event, created: true };
    const [existing] = await this.range(conversationId, id, id);
    return { event: existing ?? ({ ...stored, id, conversationId } as Event), created: false };
  }

  /**
   * Appends one event (once per `key`, as `append` does) and writes `fields` into the hash `record`
   * in the same atomic step: the state and the event that reports it never disagree after a crash.
   * `record` must be a key of the same conversation. Returns the value of `record.read` in that hash.
   */
  async appendRecording(
    conversationId: string,
    event: NewEvent,
    key: string,
    record: { hash: string; fields: Record<string, string>; read?: string },
  ): Promise<string | undefined> {
    const payload = JSON.stringify({ ...event, at: event.at ?? new Date().toISOString(), v: EVENT_SCHEMA_VERSION });
    const [, , read] = await this.script(conversationId, key, payload, record.hash, record.read ?? "", "", Object.entries(record.fields).flat());
    return read ?? undefined;
  }

  /**
   * Appends one event (once per `key`) unless the conversation's stop marker covers the turn of
   * user message `turn`, in one atomic step: a run's answer and a stop never both win. Returns
   * who stopped the turn when the event was not written.
   */
  async appendUnlessStopped(conversationId: string, event: NewEvent, key: string, turn: string): Promise<{ stoppedBy: string } | { appended: true }> {
    const payload = JSON.stringify({ ...event, at: event.at ?? new Date().toISOString(), v: EVENT_SCHEMA_VERSION });
    const [, outcome, by] = await this.script(conversationId, key, payload, this.keys.stop(conversationId), "by", turn, []);
    return outcome === 2 ? { stoppedBy: by ?? "" } : { appended: true };
  }

  /** The event with stream id `id`, if the log holds it. */
  async get(conversationId: string, id: string): Promise<Event | undefined> {
    const [event] = await this.range(conversationId, id, id);
    return event;
  }

  /**
   * Appends one event. With a `key`, appending the same key again returns the first entry and
   * writes nothing: producers pass a key derived from the run and step they are in.
   */
  async append(conversationId: string, event: NewEvent, key = ""): Promise<Appended> {
    const at = event.at ?? new Date().toISOString();
    const stored = { ...event, at, v: EVENT_SCHEMA_VERSION };
    const payload = JSON.stringify(stored);
    // Nothing to record: the dedup index stands in for the record hash (same slot, nothing written).
    const [id, created] = await this.script(conversationId, key, payload, this.keys.dedup(conversationId), "", "", []);
    // The event was built from a typed NewEvent: no need to parse what was just written.
    if (created === 1) return { event: { ...stored, id, conversationId } as Event, created: true };
    const [existing] = await this.range(conversationId, id, id);
    return { event: existing ?? ({ ...stored, id, conversationId } as Event), created: false };
  }

  private async script(conversationId: string, key: string, payload: string, record: string, read: string, guard: string, fields: string[]) {
    return (this.redis as unknown as AppendCommand).sbAppend(
      this.keys.events(conversationId),
      this.keys.dedup(conversationId),
      record,
      this.keys.appended(conversationId),
      key,
      payload,
      this.retention,
      DEDUP_TTL_SECONDS,
      read,
      guard,
      ...fields,
    );
  }

  /** Events strictly after `after` (a stream id; "0" for the whole log), oldest first. */
  async read(conversationId: string, after = "0", count = 1000): Promise<Event[]> {
    const start = after === "0" ? "-" : `(${after}`;
    const entries = (await this.redis.xrange(this.keys.events(conversationId), start, "+", "COUNT", count)) as RawEntry[];
    return this.parseEntries(conversationId, entries);
  }

  /**
   * Of the newest `count` entries strictly before `before` (or the newest overall), the events of
   * the given types, oldest first. Other entries are skipped before they are validated.
   */
  async readLatest(conversationId: string, count: number, types: ReadonlySet<EventType>, before?: string): Promise<Event[]> {
    const end = before === undefined ? "+" : `(${before}`;
    const entries = (await this.redis.xrevrange(this.keys.events(conversationId), end, "-", "COUNT", count)) as RawEntry[];
    const wanted = entries.filter(([, fields]) => types.has(storedType(fields) as EventType));
    return this.parseEntries(conversationId, wanted.reverse());
  }

  /** Id of the newest entry, or "0" for an empty log. */
  async lastId(conversationId: string): Promise<string> {
    const entries = (await this.redis.xrevrange(this.keys.events(conversationId), "+", "-", "COUNT", 1)) as RawEntry[];
    return entries[0]?.[0] ?? "0";
  }

  private async range(conversationId: string, from: string, to: string): Promise<Event[]> {
    const entries = (await this.redis.xrange(this.keys.events(conversationId), from, to)) as RawEntry[];
    return this.parseEntries(conversationId, entries);
  }

  parseEntries(conversationId: string, entries: RawEntry[]): Event[] {
    const events: Event[] = [];
    for (const [id, fields] of entries) {
      const event = parseEntry(conversationId, id, fields);
      if (event.ok) events.push(event.event);
      else this.log.error({ conversationId, id, reason: event.reason }, "skipping an unreadable log entry");
    }
    return events;
  }
}

type AppendCommand = {
  sbAppend(
    stream: string,
    dedup: string,
    record: string,
    channel: string,
    key: string,
    payload: string,
    maxLen: number,
    ttl: number,
    read: string,
    guard: string,
    ...fields: string[]
  ): Promise<[id: string, created: number, read: string | null]>;
};

type AppendWritingCommand = {
  sbAppendWriting(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<[id: string, created: number]>;
};

export function parseEntry(
  conversationId: string,
  id: string,
  fields: string[],
): { ok: true; event: Event } | { ok: false; reason: string } {
  const index = fields.indexOf("e");
  const raw = index >= 0 ? fields[index + 1] : undefined;
  if (raw === undefined) return { ok: false, reason: "entry has no 'e' field" };
  let stored: unknown;
  try {
    stored = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "entry is not JSON" };
  }
  const version = (stored as { v?: unknown }).v;
  if (version !== EVENT_SCHEMA_VERSION) return { ok: false, reason: `unknown event schema version ${String(version)}` };
  const parsed = Event.safeParse({ ...(stored as object), id, conversationId });
  if (!parsed.success) return { ok: false, reason: parsed.error.message };
  return { ok: true, event: parsed.data };
}

/** The `type` of a stored entry, read from its JSON without parsing all of it. */
function storedType(fields: string[]): string | undefined {
  const raw = fields[fields.indexOf("e") + 1] ?? "";
  return /"type":"([a-z.]+)"/.exec(raw)?.[1];
}
