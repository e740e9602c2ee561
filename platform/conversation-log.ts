import { EVENT_SCHEMA_VERSION, Event, type EventType, type NewEvent } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";
import { STOP_MARKER_LUA } from "./turn-stops.js";

/**
 * Appends one event in a script: once per key (the dedup index maps a key to the entry it wrote),
 * the log capped at about `maxlen` entries, and announced on the conversation's sharded channel as
 * `<previous entry's id> <id> <event>`: a follower whose cursor is the previous id takes it as it
 * is, one behind reads the log instead. Returns the entry's id and 1 when it was written now, 0
 * when the key was there already.
 */
const APPEND_EVENT_LUA = `
local function append_event(log, dedup, channel, maxlen, ttl, key, payload)
  if key ~= '' then
    local existing = redis.call('HGET', dedup, key)
    if existing then return existing, 0 end
  end
  local last = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)[1]
  local id = redis.call('XADD', log, 'MAXLEN', '~', maxlen, '*', 'e', payload)
  if key ~= '' then
    redis.call('HSET', dedup, key, id)
    redis.call('EXPIRE', dedup, ttl)
  end
  redis.call('SPUBLISH', channel, (last and last[1] or '0') .. ' ' .. id .. ' ' .. payload)
  return id, 1
end
`;

/**
 * Checks the dedup index and appends in one atomic step, so a retried producer gets back the id it
 * already wrote instead of a second copy (Redis 7 has no idempotent XADD of its own). In the same
 * step it writes the state the event reports (a workflow run's journal entry) into the hash KEYS[3],
 * whether or not the event is new, and reads one field of that hash back (a cancel request).
 * A new entry is announced on the sharded channel KEYS[4]. All four keys carry the conversation's
 * hash tag: one slot. ARGV: key, payload, maxlen, ttl, field to read ('' for none), then
 * field/value pairs to write.
 */
const APPEND_SCRIPT = `
${APPEND_EVENT_LUA}
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
local watched = false
if ARGV[5] ~= '' then watched = redis.call('HGET', KEYS[3], ARGV[5]) end
local id, created = append_event(KEYS[1], KEYS[2], KEYS[4], ARGV[3], ARGV[4], ARGV[1], ARGV[2])
return {id, created, watched}
`;

/**
 * Appends events (each once per key) and makes the writes that follow them, in one atomic step:
 * the state the events report (a run's checkpoint) and the events never disagree after a crash,
 * and all of it costs one round trip. With a guard (a stream id), nothing is written when the stop
 * marker KEYS[4] reaches that id or later and the first event is not logged yet: the reply is then
 * `{2, <who stopped>}`; a first event logged already (a retry) is past the stop. KEYS: the log, its
 * dedup index, its channel, the stop marker, then the written keys, all with the conversation's hash
 * tag. ARGV: maxlen, dedup TTL, guard, event count, per event its key and payload, then per write:
 * command, argument count, KEYS index, arguments. Reply: `{1, '', id, created, id, created, …}`.
 */
const APPEND_WRITING_SCRIPT = `
${STOP_MARKER_LUA}
${APPEND_EVENT_LUA}
local count = tonumber(ARGV[4])
if ARGV[3] ~= '' and not (count > 0 and ARGV[5] ~= '' and redis.call('HEXISTS', KEYS[2], ARGV[5]) == 1) then
  if stops_turn(KEYS[4], ARGV[3]) then return {2, redis.call('HGET', KEYS[4], 'by') or ''} end
end
local reply = {1, ''}
for n = 0, count - 1 do
  local id, created = append_event(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[5 + 2 * n], ARGV[6 + 2 * n])
  reply[#reply + 1] = id
  reply[#reply + 1] = created
end
local allowed = {SET = true, HSET = true, EXPIRE = true, DEL = true, HDEL = true}
local i = 5 + 2 * count
while i <= #ARGV do
  if not allowed[ARGV[i]] then return redis.error_reply('not a write of this script: ' .. ARGV[i]) end
  local n = tonumber(ARGV[i + 1])
  redis.call(ARGV[i], KEYS[tonumber(ARGV[i + 2])], unpack(ARGV, i + 3, i + 2 + n))
  i = i + 3 + n
end
return reply
`;

/**
 * Everything a run needs before its first step, in one round trip: its checkpoint (KEYS[4]), the
 * stop marker (KEYS[5], all fields) and, for a run with no checkpoint yet, the newest ARGV[5]
 * entries of the log before ARGV[6] (its history; 0: none) and its first event appended (once per
 * key ARGV[3], payload ARGV[4]; '' payload: none). A run whose turn the marker stops (ARGV[7], a
 * stream id; '' for none) appends nothing. KEYS: the log, its dedup index, its channel, then those
 * two. ARGV: maxlen, dedup TTL, then the rest as above. Reply: `{checkpoint or false, marker fields,
 * history entries (newest first), id, created}`.
 */
const OPEN_RUN_SCRIPT = `
${STOP_MARKER_LUA}
${APPEND_EVENT_LUA}
local checkpoint = redis.call('GET', KEYS[4])
local marker = redis.call('HGETALL', KEYS[5])
if checkpoint then return {checkpoint, marker} end
if ARGV[7] ~= '' and stops_turn(KEYS[5], ARGV[7]) then return {false, marker} end
local history = {}
if tonumber(ARGV[5]) > 0 then history = redis.call('XREVRANGE', KEYS[1], ARGV[6], '-', 'COUNT', ARGV[5]) end
if ARGV[4] == '' then return {false, marker, history} end
local id, created = append_event(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return {false, marker, history, id, created}
`;

/** An event to append once per `key`: producers derive the key from the run and step they are in. */
export interface KeyedEvent {
  event: NewEvent;
  key: string;
}

/** A write made with events, atomically (`appendWriting`); its key must be of the events' conversation. */
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
    if (!("sbOpenRun" in redis)) redis.defineCommand("sbOpenRun", { numberOfKeys: 5, lua: OPEN_RUN_SCRIPT });
  }

  /**
   * Appends `events` (each once per its key, as `append` does) and makes `writes`, in the same
   * atomic step and round trip. With `unlessStopped` (the id of the user message whose turn this
   * is), nothing is written when the conversation's stop marker covers that turn and the first
   * event is not logged yet: a run's answer and a stop never both win. Returns what was appended,
   * or who stopped the turn.
   */
  async appendWriting(
    conversationId: string,
    events: readonly KeyedEvent[],
    writes: readonly Write[],
    unlessStopped = "",
  ): Promise<{ appended: Appended[] } | { stoppedBy: string }> {
    const at = new Date().toISOString();
    const stored = events.map(({ event, key }) => ({ key, stored: { ...event, at: event.at ?? at, v: EVENT_SCHEMA_VERSION } }));
    const written: string[] = [];
    const index = (name: string) => {
      const found = written.indexOf(name);
      if (found >= 0) return String(found + 5);
      written.push(name);
      return String(written.length + 4);
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
    const reply = await (this.redis as unknown as AppendWritingCommand).sbAppendWriting(
      4 + written.length,
      ...this.logKeys(conversationId),
      this.keys.stop(conversationId),
      ...written,
      this.retention,
      DEDUP_TTL_SECONDS,
      unlessStopped,
      stored.length,
      ...stored.flatMap(({ key, stored }) => [key, JSON.stringify(stored)]),
      ...args,
    );
    if (reply[0] === 2) return { stoppedBy: String(reply[1]) };
    const appended = await Promise.all(
      stored.map(({ stored }, n) => this.appended(conversationId, stored, String(reply[2 + 2 * n]), reply[3 + 2 * n] === 1)),
    );
    return { appended };
  }

  /**
   * What a run needs before its first step, in one round trip: its checkpoint (`checkpointKey`),
   * the conversation's stop marker and, when there is no checkpoint yet, the events of `history`'s
   * types among the newest `history.count` entries before `history.before` (oldest first), with
   * `first` appended (once per key) unless the stop marker covers the turn of user message `turn`.
   */
  async openRun(
    conversationId: string,
    run: { checkpointKey: string; first?: KeyedEvent; history: { count: number; types: ReadonlySet<EventType>; before?: string }; turn?: string },
  ): Promise<{ checkpoint?: string; marker: Record<string, string>; history: Event[]; first?: Appended }> {
    const first = run.first ? { ...run.first.event, at: run.first.event.at ?? new Date().toISOString(), v: EVENT_SCHEMA_VERSION } : undefined;
    const [checkpoint, markerFields, entries, id, created] = await (this.redis as unknown as OpenRunCommand).sbOpenRun(
      ...this.logKeys(conversationId),
      run.checkpointKey,
      this.keys.stop(conversationId),
      this.retention,
      DEDUP_TTL_SECONDS,
      run.first?.key ?? "",
      first ? JSON.stringify(first) : "",
      run.history.count,
      run.history.before === undefined ? "+" : `(${run.history.before}`,
      run.turn ?? "",
    );
    const marker: Record<string, string> = {};
    for (let i = 0; i + 1 < markerFields.length; i += 2) marker[markerFields[i] as string] = markerFields[i + 1] as string;
    const wanted = (entries ?? []).filter(([, fields]) => run.history.types.has(storedType(fields) as EventType));
    return {
      ...(checkpoint ? { checkpoint } : {}),
      marker,
      history: this.parseEntries(conversationId, wanted.reverse()),
      ...(first && id !== undefined ? { first: await this.appended(conversationId, first, id, created === 1) } : {}),
    };
  }

  /**
   * The event `stored` as logged with id `id`: built from the typed event when written now (not
   * parsed again), read back when a retry finds it logged already (the first copy is the one kept).
   */
  private async appended(conversationId: string, stored: Omit<Event, "id" | "conversationId">, id: string, created: boolean): Promise<Appended> {
    if (created) return { event: { ...stored, id, conversationId } as Event, created: true };
    const [existing] = await this.range(conversationId, id, id);
    return { event: existing ?? ({ ...stored, id, conversationId } as Event), created: false };
  }

  private logKeys(conversationId: string): [log: string, dedup: string, channel: string] {
    return [this.keys.events(conversationId), this.keys.dedup(conversationId), this.keys.appended(conversationId)];
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
    const [, , read] = await this.script(conversationId, key, payload, record.hash, record.read ?? "", Object.entries(record.fields).flat());
    return read ?? undefined;
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
    const [id, created] = await this.script(conversationId, key, payload, this.keys.dedup(conversationId), "", []);
    return this.appended(conversationId, stored, id, created === 1);
  }

  private async script(conversationId: string, key: string, payload: string, record: string, read: string, fields: string[]) {
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
    ...fields: string[]
  ): Promise<[id: string, created: number, read: string | null]>;
};

type AppendWritingCommand = {
  sbAppendWriting(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<(string | number)[]>;
};

type OpenRunCommand = {
  sbOpenRun(
    ...keysAndArgs: (string | number)[]
  ): Promise<[checkpoint: string | null, marker: string[], history?: RawEntry[], id?: string, created?: number]>;
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
