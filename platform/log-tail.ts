import type { Event } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import { compareStreamIds } from "../shared/stream-id.js";
import { parseEntry, type ConversationLog } from "./conversation-log.js";
import type { Logger } from "./logger.js";
import type { RedisClient, ShardedSubscriber } from "./redis.js";

type Listener = (event: Event) => void;

interface Subscriber {
  listener: Listener;
  /** Newest id this subscriber has been given; live events at or before it are skipped. */
  delivered: string;
  /** Live events held back while the subscriber's catch-up read is in flight. */
  pending: Event[] | undefined;
  /** Unsubscribed: nothing more is delivered, not even from a catch-up read still in flight. */
  stopped: boolean;
}

/** One followed conversation: its channel, the newest entry read, and who gets its events. */
interface Tailed {
  conversationId: string;
  channel: string;
  cursor: string;
  subscribers: Set<Subscriber>;
  /** Subscribed on the channel: from here on every new entry is announced. */
  live: boolean;
  /** A read of the log after `cursor` is in flight; `again` asks it for one more round. */
  reading: boolean;
  again: boolean;
  stopped: boolean;
  onMessage: (message: string) => void;
}

/** The tail's state as a health check reports it. */
export interface TailHealth {
  ok: boolean;
  /**
   * `following`: conversations are followed and their announcements arrive; `idle`: none is
   * followed; `failing`: a subscription or a read of some conversation keeps failing (it is
   * retried); `disconnected`: the subscriber connection is down; `closed`: the server is stopping.
   */
  state: "following" | "idle" | "failing" | "disconnected" | "closed";
  /** Since the last announcement or read that answered, in ms; null before the first. */
  lastReadAgoMs: number | null;
  problem?: string;
}

/** Entries per XRANGE while catching up: reads repeat until the follower has everything. */
const PAGE = 1000;

type RawEntry = [id: string, fields: string[]];

/**
 * Follows conversation logs for many subscribers. Each followed conversation is one sharded
 * pub/sub channel in the conversation's slot, on which the append script announces every new
 * entry with the id of the entry before it: when that is the cursor, the entry is delivered as it
 * came, with no read at all; otherwise (just subscribed, a notification missed, a reconnect) the
 * tail reads the log after its cursor (XRANGE, no blocking) until it has caught up. So Redis works
 * in proportion to the events appended, not to the conversations followed, and every follow is a
 * single-slot command on the slot's own master.
 */
export class LogTail {
  private readonly tailed = new Map<string, Tailed>();
  private readonly reads = new Set<Promise<void>>();
  private closed = false;
  private readonly stopResubscribed: () => void;
  /** Conversations whose last subscription attempt or read failed. */
  private readonly failing = new Set<string>();
  private lastOkAt: number | undefined;

  constructor(
    private readonly subscriber: ShardedSubscriber,
    private readonly control: RedisClient,
    private readonly keys: Keys,
    private readonly conversationLog: ConversationLog,
    private readonly log: Logger,
  ) {
    // Announcements made while the subscription was down are lost: read what came meanwhile.
    this.stopResubscribed = subscriber.onResubscribed(() => {
      for (const tailed of this.tailed.values()) if (tailed.live) this.pull(tailed);
    });
  }

  /**
   * Delivers every event after `after`, in order and once each, then live events until the
   * returned function is called.
   */
  subscribe(conversationId: string, after: string, listener: Listener): () => void {
    const subscriber: Subscriber = { listener, delivered: after, pending: undefined, stopped: false };
    const existing = this.tailed.get(conversationId);
    if (existing) {
      existing.subscribers.add(subscriber);
      if (compareStreamIds(after, existing.cursor) < 0) this.track(this.catchUp(conversationId, subscriber, existing.cursor));
    } else {
      this.follow(conversationId, after, subscriber);
    }
    return () => {
      subscriber.stopped = true;
      const entry = this.tailed.get(conversationId);
      if (!entry?.subscribers.delete(subscriber) || entry.subscribers.size > 0) return;
      this.tailed.delete(conversationId);
      this.unfollow(entry);
    };
  }

  /**
   * Every event after `after` up to the newest, oldest first, read in pages of 1,000 until caught
   * up (the log holds at most its retention, so this is bounded).
   */
  async read(conversationId: string, after: string): Promise<Event[]> {
    const events: Event[] = [];
    await this.readPages(conversationId, after, "+", (page) => {
      events.push(...page);
      return true;
    });
    return events;
  }

  /**
   * Resolves with every event after `after` (all of them, however far behind), or when there is
   * none yet, waits up to `timeoutMs` for the first new ones.
   */
  async next(conversationId: string, after: string, timeoutMs: number): Promise<Event[]> {
    const ready = await this.read(conversationId, after);
    if (ready.length > 0 || timeoutMs <= 0) return ready;
    return new Promise<Event[]>((resolve) => {
      const received: Event[] = [];
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve(received);
      };
      const unsubscribe = this.subscribe(conversationId, after, (event) => {
        received.push(event);
        // Let the rest of the same batch arrive before answering.
        setImmediate(finish);
      });
      timer = setTimeout(finish, timeoutMs);
    });
  }

  /** Not closed: what readiness asks. */
  running(): boolean {
    return !this.closed;
  }

  health(now = Date.now()): TailHealth {
    const lastReadAgoMs = this.lastOkAt === undefined ? null : now - this.lastOkAt;
    const report = (state: TailHealth["state"], problem?: string): TailHealth => ({ ok: problem === undefined, state, lastReadAgoMs, ...(problem ? { problem } : {}) });
    if (this.closed) return report("closed", "the log tail is closed (the server is stopping)");
    const status = this.subscriber.connection.status;
    if (status !== "ready") return report("disconnected", `the log tail's Redis connection is ${status}`);
    if (this.failing.size > 0) return report("failing", `following ${this.failing.size} conversation(s) fails; retrying`);
    return report(this.tailed.size > 0 ? "following" : "idle");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopResubscribed();
    for (const tailed of this.tailed.values()) this.unfollow(tailed);
    this.tailed.clear();
    await Promise.all([...this.reads]);
  }

  /** Starts following a conversation: subscribe to its channel, then read what came after `after`. */
  private follow(conversationId: string, after: string, first: Subscriber): void {
    const tailed: Tailed = {
      conversationId,
      channel: this.keys.appended(conversationId),
      cursor: after,
      subscribers: new Set([first]),
      live: false,
      reading: false,
      again: false,
      stopped: false,
      onMessage: (message) => this.announced(tailed, message),
    };
    this.tailed.set(conversationId, tailed);
    this.track(
      (async () => {
        for (let attempt = 1; !tailed.stopped && !this.closed; attempt++) {
          try {
            await this.subscriber.subscribe(tailed.channel, tailed.onMessage);
            this.failing.delete(conversationId);
            break;
          } catch (error) {
            this.failing.add(conversationId);
            this.log.warn({ err: error, conversationId, attempt }, "could not subscribe to a conversation's announcements; retrying");
            await pause(attempt);
          }
        }
        if (tailed.stopped || this.closed) return;
        tailed.live = true;
        // Anything appended between the caller's read and the subscription is in the log.
        this.pull(tailed);
      })(),
    );
  }

  private unfollow(tailed: Tailed): void {
    tailed.stopped = true;
    this.failing.delete(tailed.conversationId);
    this.subscriber.unsubscribe(tailed.channel, tailed.onMessage);
  }

  /** An entry was appended: `<previous id> <id> <event JSON>`. */
  private announced(tailed: Tailed, message: string): void {
    if (tailed.stopped) return;
    this.lastOkAt = Date.now();
    // Not subscribed yet, or a read in flight: that read (or one more) picks the entry up, in order.
    if (!tailed.live || tailed.reading) {
      tailed.again = true;
      return;
    }
    const first = message.indexOf(" ");
    const second = message.indexOf(" ", first + 1);
    if (first < 0 || second < 0) return;
    const previous = message.slice(0, first);
    const id = message.slice(first + 1, second);
    if (compareStreamIds(id, tailed.cursor) <= 0) return;
    if (previous !== tailed.cursor) {
      this.pull(tailed);
      return;
    }
    tailed.cursor = id;
    const entry = parseEntry(tailed.conversationId, id, ["e", message.slice(second + 1)]);
    if (!entry.ok) {
      this.log.error({ conversationId: tailed.conversationId, id, reason: entry.reason }, "skipping an unreadable log entry");
      return;
    }
    for (const subscriber of tailed.subscribers) this.deliver(subscriber, entry.event);
  }

  /** Reads the log after the conversation's cursor until it has caught up, delivering in order. */
  private pull(tailed: Tailed): void {
    if (tailed.reading) {
      tailed.again = true;
      return;
    }
    tailed.reading = true;
    this.track(
      (async () => {
        for (let attempt = 1; !tailed.stopped && !this.closed; ) {
          tailed.again = false;
          try {
            await this.readPages(tailed.conversationId, tailed.cursor, "+", (events, last) => {
              if (tailed.stopped) return false;
              tailed.cursor = last;
              for (const event of events) for (const subscriber of tailed.subscribers) this.deliver(subscriber, event);
              return true;
            });
            this.lastOkAt = Date.now();
            this.failing.delete(tailed.conversationId);
            if (!tailed.again) break;
          } catch (error) {
            // Retried from the cursor: what was delivered stays delivered, nothing is skipped.
            this.failing.add(tailed.conversationId);
            this.log.warn({ err: error, conversationId: tailed.conversationId, attempt }, "log tail read failed; retrying");
            await pause(attempt++);
          }
        }
        tailed.reading = false;
      })(),
    );
  }

  /**
   * Brings a subscriber that starts behind the shared cursor up to `until` (that cursor when it
   * subscribed: the tail delivers everything after it), page by page, while live events wait.
   */
  private async catchUp(conversationId: string, subscriber: Subscriber, until: string): Promise<void> {
    subscriber.pending = [];
    try {
      for (let attempt = 1; !subscriber.stopped && !this.closed; attempt++) {
        try {
          await this.readPages(conversationId, subscriber.delivered, until, (page) => {
            for (const event of page) this.hand(subscriber, event);
            return !subscriber.stopped;
          });
          break;
        } catch (error) {
          // Live events stay held meanwhile: skipping ahead would leave a hole. Retry from where it got to.
          this.log.warn({ err: error, conversationId, attempt }, "log tail catch-up read failed; retrying");
          await pause(attempt);
        }
      }
    } finally {
      const held = subscriber.pending;
      subscriber.pending = undefined;
      for (const event of held) this.hand(subscriber, event);
    }
  }

  /**
   * XRANGE pages after `after` up to `until` (inclusive; "+" for the newest), each handed to
   * `onPage` with the page's last raw id, in order, until a short page or `onPage` returns false.
   * Pages advance on raw entry ids, so an unreadable entry (logged and skipped) never stops the
   * read early.
   */
  private async readPages(conversationId: string, after: string, until: string, onPage: (events: Event[], last: string) => boolean): Promise<void> {
    let cursor = after;
    for (;;) {
      const start = cursor === "0" ? "-" : `(${cursor}`;
      const entries = (await this.control.xrange(this.keys.events(conversationId), start, until, "COUNT", PAGE)) as RawEntry[];
      const last = entries.at(-1);
      if (!last) return;
      if (!onPage(this.conversationLog.parseEntries(conversationId, entries), last[0])) return;
      if (entries.length < PAGE) return;
      cursor = last[0];
    }
  }

  private deliver(subscriber: Subscriber, event: Event): void {
    if (subscriber.pending) {
      subscriber.pending.push(event);
      return;
    }
    this.hand(subscriber, event);
  }

  /** Gives the subscriber an event newer than any it has had. */
  private hand(subscriber: Subscriber, event: Event): void {
    if (subscriber.stopped || compareStreamIds(event.id, subscriber.delivered) <= 0) return;
    subscriber.delivered = event.id;
    try {
      subscriber.listener(event);
    } catch (error) {
      // One subscriber's fault must not stop the others' events (announcements are delivered in Redis's callback).
      this.log.error({ err: error, conversationId: event.conversationId, id: event.id }, "a log tail subscriber failed on an event");
    }
  }

  /** Keeps a background read so `close` can wait for it. */
  private track(work: Promise<void>): void {
    this.reads.add(work);
    void work.finally(() => this.reads.delete(work));
  }
}

/** Back-off between retries of a failed Redis call: 100 ms more each time, at most 2 s. */
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * attempt)));
