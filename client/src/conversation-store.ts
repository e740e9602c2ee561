/**
 * Everything the page knows about one conversation, and the pure reducer that changes it.
 *
 * Events arrive from three places that overlap: the join acknowledgement (history after a cursor),
 * live pushes, and the REST fallback. They are kept in a Map by id and in one array ordered by
 * stream id, so a duplicate is dropped and a late arrival slots into place: nothing is shown twice
 * and nothing is missing.
 */
import type { Event, MessageDelta } from "../../shared/events.js";
import { compareStreamIds } from "../../shared/stream-id.js";
import type { StreamedText } from "../../shared/streamed-text.js";

/** An agent answer being written right now; replaced by its `message.agent` event. */
export interface StreamingMessage {
  runId: string;
  agent: string;
  text: string;
  /** Deltas may have been lost while the connection was down; the next one is joined with "…". */
  gap: boolean;
  /** The model step's attempt this text belongs to; a later attempt's text replaces it. */
  attempt: number;
  /** The `seq` of the last delta the text holds: a delta at or below it is already in. */
  seq?: number;
  /**
   * For text a join brought: the run's logged event it follows. That event arriving afterwards
   * does not end the text, which is what came next.
   */
  after?: string;
  /** Arrival order, so parallel streams keep their places. */
  order: number;
}

export type OutgoingStatus = "sending" | "sent" | "failed";

/** A message the user wrote that is not (yet) in the log. */
export interface OutgoingMessage {
  clientMsgId: string;
  text: string;
  status: OutgoingStatus;
  /** Set once the server acknowledged it as durable. */
  eventId?: string;
  error?: string;
  order: number;
}

/**
 * What the last relevant event of a run says about its stream: a `message.agent` closes the
 * current answer, more work (a tool call, a handoff) opens the next one, and the run's end closes
 * it for good. Keeping the event id makes the outcome independent of arrival order.
 */
interface RunMarker {
  eventId: string;
  stream: "closed" | "open" | "ended";
}

export interface ConversationState {
  conversationId: string;
  byId: ReadonlyMap<string, Event>;
  /** Ordered by stream id. */
  events: readonly Event[];
  /** When each event that arrived live was received (ms, local clock); history has none. */
  receivedAt: ReadonlyMap<string, number>;
  /**
   * The newest id up to which this client holds every event: what it joins "after". It only moves
   * with a successful join or with live events while joined, so a live event that races ahead of
   * a join's acknowledgement cannot make the client skip what the acknowledgement would carry.
   */
  cursor: string | undefined;
  /** Joined and receiving live events. */
  synced: boolean;
  /** The first history has arrived (or failed): the view can stop showing "loading". */
  loaded: boolean;
  joinError: string | undefined;
  streams: ReadonlyMap<string, StreamingMessage>;
  runMarkers: ReadonlyMap<string, RunMarker>;
  outbox: readonly OutgoingMessage[];
  /** Monotonic counter for the `order` fields. */
  seq: number;
}

export type ConversationAction =
  /**
   * A batch of history: from a join ack (everything after `after`, and the text of the runs
   * streaming at that moment) or from REST.
   */
  | { type: "history"; events: readonly Event[]; source: "join" | "rest"; after: string | undefined; at: number; streams?: readonly StreamedText[] }
  | { type: "live"; event: Event; at: number }
  | { type: "delta"; delta: MessageDelta }
  | { type: "disconnected" }
  | { type: "join-failed"; message: string }
  | { type: "send-started"; clientMsgId: string; text: string }
  | { type: "send-acked"; clientMsgId: string; eventId: string }
  | { type: "send-failed"; clientMsgId: string; message: string }
  | { type: "send-retried"; clientMsgId: string }
  | { type: "send-discarded"; clientMsgId: string };

export function initialConversationState(conversationId: string): ConversationState {
  return {
    conversationId,
    byId: new Map(),
    events: [],
    receivedAt: new Map(),
    cursor: undefined,
    synced: false,
    loaded: false,
    joinError: undefined,
    streams: new Map(),
    runMarkers: new Map(),
    outbox: [],
    seq: 0,
  };
}

const maxId = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : compareStreamIds(a, b) >= 0 ? a : b;

function markerFor(event: Event): RunMarker["stream"] | undefined {
  switch (event.type) {
    case "message.agent":
      return "closed";
    case "run.completed":
    case "run.failed":
    case "run.cancelled":
      return "ended";
    case "tool.call":
    case "tool.result":
    case "handoff":
    case "run.retrying":
      return "open";
    default:
      return undefined;
  }
}

/** True when `stream` is text a join brought that follows the run's newest event: that event does not end it. */
function follows(stream: StreamingMessage | undefined, marker: RunMarker): boolean {
  return stream?.after !== undefined && marker.stream !== "ended" && compareStreamIds(stream.after, marker.eventId) >= 0;
}

/** Whether the run's logged events leave its streamed text on screen: its stream is open, or the text follows them. */
function streamOpen(marker: RunMarker | undefined, stream: StreamingMessage | undefined): boolean {
  return marker === undefined || marker.stream === "open" || follows(stream, marker);
}

/**
 * Seeds streams with the texts a join acknowledgement carries, unless the events say they are
 * already logged (or withdrawn), or this client already holds more of the same attempt.
 */
function seedStreams(state: ConversationState, seeds: readonly StreamedText[]): ConversationState {
  let streams: Map<string, StreamingMessage> | undefined;
  let seq = state.seq;
  for (const seed of seeds) {
    if (seed.text === "") continue;
    const marker = state.runMarkers.get(seed.runId);
    const candidate: StreamingMessage = {
      runId: seed.runId,
      agent: seed.agent,
      text: seed.text,
      gap: false,
      attempt: seed.attempt ?? 1,
      seq: seed.seq,
      ...(seed.after === undefined ? {} : { after: seed.after }),
      order: seq,
    };
    if (!streamOpen(marker, candidate)) continue;
    // A retry notice newer than the text withdraws it: the retry streams afresh.
    const notice = marker === undefined ? undefined : state.byId.get(marker.eventId);
    if (notice?.type === "run.retrying" && notice.data.attempt > candidate.attempt) continue;
    const existing = (streams ?? state.streams).get(seed.runId);
    if (existing !== undefined && existing.attempt > candidate.attempt) continue;
    if (existing !== undefined && existing.attempt === candidate.attempt && !existing.gap && (existing.seq ?? 0) > seed.seq) continue;
    streams ??= new Map(state.streams);
    streams.set(seed.runId, { ...candidate, order: existing?.order ?? seq++ });
  }
  return streams === undefined ? state : { ...state, streams, seq };
}

/** Inserts `incoming` (sorted copy made here) into the ordered list; only ids not held yet. */
function mergeOrdered(existing: readonly Event[], incoming: readonly Event[]): Event[] {
  const merged = existing.slice();
  const sorted = incoming.slice().sort((a, b) => compareStreamIds(a.id, b.id));
  for (const event of sorted) {
    const last = merged[merged.length - 1];
    if (last === undefined || compareStreamIds(last.id, event.id) < 0) {
      merged.push(event);
      continue;
    }
    // Out of order (a live event raced a history batch): binary search for its place.
    let low = 0;
    let high = merged.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const probe = merged[middle] as Event;
      if (compareStreamIds(probe.id, event.id) < 0) low = middle + 1;
      else high = middle;
    }
    merged.splice(low, 0, event);
  }
  return merged;
}

/** Adds events not held yet and applies what they mean for streams and the outbox. */
function addEvents(state: ConversationState, incoming: readonly Event[], receivedAt: number | undefined): ConversationState {
  const fresh: Event[] = [];
  const seen = new Set<string>();
  for (const event of incoming) {
    if (event.conversationId !== state.conversationId) continue;
    if (state.byId.has(event.id) || seen.has(event.id)) continue;
    seen.add(event.id);
    fresh.push(event);
  }
  if (fresh.length === 0) return state;

  const byId = new Map(state.byId);
  const received = receivedAt === undefined ? undefined : new Map(state.receivedAt);
  const runMarkers = new Map(state.runMarkers);
  const streams = new Map(state.streams);
  let outbox = state.outbox;

  for (const event of fresh) {
    byId.set(event.id, event);
    if (received !== undefined && receivedAt !== undefined) received.set(event.id, receivedAt);

    const stream = markerFor(event);
    if (stream !== undefined && event.runId !== undefined) {
      const previous = runMarkers.get(event.runId);
      const newer = previous === undefined || compareStreamIds(previous.eventId, event.id) < 0;
      // A run's end is final; otherwise the newest event decides, whatever order they came in.
      if (stream === "ended" || (previous?.stream !== "ended" && newer)) {
        runMarkers.set(event.runId, { eventId: event.id, stream });
      }
      // The final text (or the run's end) supersedes whatever was streamed for this run, unless
      // the text came with a join and is what followed this event.
      if (!streamOpen(runMarkers.get(event.runId), streams.get(event.runId))) streams.delete(event.runId);
      // A retried step withdraws what its failed attempt streamed; the retry's notice keeps it.
      if (event.type === "run.retrying" && (streams.get(event.runId)?.attempt ?? event.data.attempt) < event.data.attempt) streams.delete(event.runId);
    }

    if (event.type === "message.user") {
      const clientMsgId = event.data.clientMsgId;
      outbox = outbox.filter((message) => message.eventId !== event.id && (clientMsgId === undefined || message.clientMsgId !== clientMsgId));
    }
  }

  return {
    ...state,
    byId,
    events: mergeOrdered(state.events, fresh),
    receivedAt: received ?? state.receivedAt,
    runMarkers,
    streams,
    outbox,
  };
}

function updateOutgoing(
  state: ConversationState,
  clientMsgId: string,
  change: (message: OutgoingMessage) => OutgoingMessage | undefined,
): ConversationState {
  let changed = false;
  const outbox: OutgoingMessage[] = [];
  for (const message of state.outbox) {
    if (message.clientMsgId !== clientMsgId) {
      outbox.push(message);
      continue;
    }
    changed = true;
    const next = change(message);
    if (next !== undefined) outbox.push(next);
  }
  return changed ? { ...state, outbox } : state;
}

export function conversationReducer(state: ConversationState, action: ConversationAction): ConversationState {
  switch (action.type) {
    case "history": {
      // The first batch is the past: nothing in it should flash in the graph. A batch after that
      // (a rejoin after reconnecting) carries what happened meanwhile, which is news.
      const added = addEvents(state, action.events, state.loaded ? action.at : undefined);
      const next = action.source === "join" && action.streams !== undefined ? seedStreams(added, action.streams) : added;
      const last = next.events[next.events.length - 1]?.id;
      let cursor = next.cursor;
      if (action.source === "join") cursor = maxId(cursor, last);
      else if (action.after === state.cursor) cursor = maxId(cursor, maxId(action.after, lastIdOf(action.events)));
      return {
        ...next,
        cursor,
        synced: action.source === "join" ? true : next.synced,
        loaded: true,
        joinError: undefined,
      };
    }
    case "live": {
      const next = addEvents(state, [action.event], action.at);
      if (next === state || !state.synced) return next;
      return { ...next, cursor: maxId(next.cursor, action.event.id) };
    }
    case "delta": {
      const { delta } = action;
      if (delta.conversationId !== state.conversationId || delta.text === "") return state;
      const existing = state.streams.get(delta.runId);
      // A delta that arrives after its final message (the two travel different paths) is dropped.
      if (!streamOpen(state.runMarkers.get(delta.runId), existing)) return state;
      const attempt = delta.attempt ?? 1;
      // A late piece of a failed attempt is dropped; the first piece of a retry starts the text over.
      if (existing !== undefined && attempt < existing.attempt) return state;
      const streams = new Map(state.streams);
      const seq = delta.seq === undefined ? {} : { seq: delta.seq };
      if (existing === undefined || attempt > existing.attempt) {
        const after = existing?.after === undefined ? {} : { after: existing.after };
        streams.set(delta.runId, { runId: delta.runId, agent: delta.agent, text: delta.text, gap: false, attempt, ...seq, ...after, order: existing?.order ?? state.seq });
        return { ...state, streams, seq: existing === undefined ? state.seq + 1 : state.seq };
      }
      // Already in the text a join brought (it arrived while the join was answered).
      if (delta.seq !== undefined && existing.seq !== undefined && delta.seq <= existing.seq) return state;
      const joiner = existing.gap ? " … " : "";
      streams.set(delta.runId, { ...existing, text: existing.text + joiner + delta.text, gap: false, ...seq });
      return { ...state, streams };
    }
    case "disconnected": {
      if (!state.synced && state.streams.size === 0) return state;
      const streams = new Map<string, StreamingMessage>();
      for (const [runId, stream] of state.streams) streams.set(runId, { ...stream, gap: true });
      return { ...state, synced: false, streams };
    }
    case "join-failed":
      return { ...state, loaded: true, joinError: action.message };
    case "send-started": {
      if (state.outbox.some((message) => message.clientMsgId === action.clientMsgId)) return state;
      const message: OutgoingMessage = { clientMsgId: action.clientMsgId, text: action.text, status: "sending", order: state.seq };
      return { ...state, outbox: [...state.outbox, message], seq: state.seq + 1 };
    }
    case "send-acked": {
      const alreadyLogged = state.byId.has(action.eventId);
      return updateOutgoing(state, action.clientMsgId, (message) =>
        alreadyLogged ? undefined : { ...message, status: "sent", eventId: action.eventId, error: undefined },
      );
    }
    case "send-failed":
      return updateOutgoing(state, action.clientMsgId, (message) =>
        message.status === "sending" ? { ...message, status: "failed", error: action.message } : message,
      );
    case "send-retried":
      return updateOutgoing(state, action.clientMsgId, (message) => ({ ...message, status: "sending", error: undefined }));
    case "send-discarded":
      return updateOutgoing(state, action.clientMsgId, (message) => (message.status === "failed" ? undefined : message));
  }
}

function lastIdOf(events: readonly Event[]): string | undefined {
  let last: string | undefined;
  for (const event of events) last = maxId(last, event.id);
  return last;
}
