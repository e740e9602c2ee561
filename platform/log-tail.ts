import type { Redis } from "ioredis";
import type { Event } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import { compareStreamIds } from "../shared/stream-id.js";
import type { ConversationLog } from "./conversation-log.js";
import type { Logger } from "./logger.js";

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

interface Tailed {
  cursor: string;
  subscribers: Set<Subscriber>;
}

const BLOCK_MS = 5000;
const BATCH = 500;
/** Entries per XRANGE while catching up: reads repeat until the follower has everything. */
const PAGE = 1000;

type RawEntry = [id: string, fields: string[]];

/**
 * Follows many conversation logs over one dedicated blocking connection (one XREAD for all of
 * them). A new subscription interrupts the block with CLIENT UNBLOCK so it starts at once.
 * In Redis Cluster one XREAD may only name keys of one slot; this tail is for a single shard.
 */
export class LogTail {
  private readonly tailed = new Map<string, Tailed>();
  private blockingId: number | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(
    private readonly blocking: Redis,
    private readonly control: Redis,
    private readonly keys: Keys,
    private readonly conversationLog: ConversationLog,
    private readonly log: Logger,
  ) {
    // A reconnect (Redis restarted) gives the blocking connection a new client id, and ioredis
    // sends the XREAD it was blocked in again on it. The old id would make every later interrupt
    // miss (each new follow then waits out the block) or unblock some other client: forget it, and
    // the loop reads the new one once that XREAD returns.
    blocking.on("ready", () => {
      this.blockingId = undefined;
    });
    this.loop = this.run();
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
      if (compareStreamIds(after, existing.cursor) < 0) void this.catchUp(conversationId, subscriber, existing.cursor);
    } else {
      this.tailed.set(conversationId, { cursor: after, subscribers: new Set([subscriber]) });
      this.interrupt();
    }
    return () => {
      const entry = this.tailed.get(conversationId);
      subscriber.stopped = true;
      if (!entry) return;
      entry.subscribers.delete(subscriber);
      if (entry.subscribers.size === 0) this.tailed.delete(conversationId);
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.interrupt();
    await this.loop;
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
          await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * attempt)));
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
   * `onPage` in order until a short page or `onPage` returns false. Pages advance on raw entry ids,
   * so an unreadable entry (logged and skipped) never stops the read early.
   */
  private async readPages(conversationId: string, after: string, until: string, onPage: (events: Event[]) => boolean): Promise<void> {
    let cursor = after;
    for (;;) {
      const start = cursor === "0" ? "-" : `(${cursor}`;
      const entries = (await this.control.xrange(this.keys.events(conversationId), start, until, "COUNT", PAGE)) as RawEntry[];
      const last = entries.at(-1);
      if (!last) return;
      if (!onPage(this.conversationLog.parseEntries(conversationId, entries))) return;
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
    subscriber.listener(event);
  }

  private interrupt(): void {
    this.wake?.();
    if (this.blockingId !== undefined) {
      this.control.client("UNBLOCK", this.blockingId).catch((error: unknown) => {
        this.log.warn({ err: error }, "could not interrupt the log tail; it resumes within its block timeout");
      });
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.tailed.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const ids = [...this.tailed.keys()];
      const streamKeys = ids.map((id) => this.keys.events(id));
      const cursors = ids.map((id) => this.tailed.get(id)?.cursor ?? "0");
      try {
        this.blockingId ??= Number(await this.blocking.client("ID"));
        const reply = (await this.blocking.xread(
          "COUNT",
          BATCH,
          "BLOCK",
          BLOCK_MS,
          "STREAMS",
          ...streamKeys,
          ...cursors,
        )) as [string, [string, string[]][]][] | null;
        for (const [streamKey, entries] of reply ?? []) {
          const conversationId = ids[streamKeys.indexOf(streamKey)];
          if (conversationId === undefined) continue;
          const entry = this.tailed.get(conversationId);
          const last = entries.at(-1);
          if (entry && last) entry.cursor = last[0];
          for (const event of this.conversationLog.parseEntries(conversationId, entries)) {
            for (const subscriber of entry?.subscribers ?? []) this.deliver(subscriber, event);
          }
        }
      } catch (error) {
        if (this.closed) break;
        this.blockingId = undefined;
        this.log.error({ err: error }, "log tail read failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}
