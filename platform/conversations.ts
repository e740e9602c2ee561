import { randomBytes, randomInt } from "node:crypto";
import type { Conversation, ConversationHit } from "../shared/api.js";
import { shardedConversationId, type Keys } from "../shared/keys.js";
import { parseEntry } from "./conversation-log.js";
import type { RedisClient } from "./redis.js";

/** The title a conversation has until someone (or its first message) names it. */
export const DEFAULT_TITLE = "New conversation";

/** How far a search looks: the owner's newest conversations, and the newest log entries of each. */
export const SEARCH_LIMITS = { conversations: 200, entriesPerConversation: 100 } as const;

type RawEntry = [id: string, fields: string[]];

/** A stored user or agent message, told from its raw JSON without parsing it. */
const MESSAGE_ENTRY = /"type":"message\.(user|agent)"/;

/** Case-insensitive, as people expect of a search box. */
const fold = (text: string) => text.toLowerCase();

/** Characters JSON.stringify escapes: a query with one cannot be looked for in a stored entry's raw JSON. */
const ESCAPED_IN_JSON = /["\\\u0000-\u001f]/;

/**
 * `text` folded, with the index in `text` of each folded character: lower-casing can change
 * lengths ("İ" becomes two), and the snippet must be cut from the original.
 */
function foldWithPlaces(text: string): { folded: string; places: number[] } {
  let folded = "";
  const places: number[] = [];
  let index = 0;
  for (const char of text) {
    const piece = fold(char);
    folded += piece;
    for (let i = 0; i < piece.length; i += 1) places.push(index);
    index += char.length;
  }
  return { folded, places };
}

/** A little before the match and more after it, on one line: what a search result shows under the title. */
function snippet(text: string, at: number, length: number): string {
  let start = Math.max(0, at - 20);
  // Starts at a word when one begins close by, rather than mid-word.
  const space = text.lastIndexOf(" ", start);
  if (space < 0 ? start <= 15 : start - space <= 15) start = space + 1;
  const end = Math.min(text.length, at + length + 60);
  const body = text.slice(start, end).replace(/\s+/g, " ").trim();
  return `${start > 0 ? "…" : ""}${body}${end < text.length ? "…" : ""}`;
}

/** Conversation metadata and who owns each one. */
export class Conversations {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    /** New conversations are spread evenly over this many shards (SWITCHBOARD_SHARDS). */
    private readonly shards = 1,
  ) {}

  /**
   * A new conversation in a random shard. Two writes in different slots, no transaction: the
   * metadata first, so a crash between them leaves a conversation nobody lists (its id never
   * reached the client), never a listed one without metadata. An `automatic` title (one the
   * product chose, such as a workflow's name) is made distinct from the owner's other titles.
   * `directAgent`: the agent its messages go to instead of the manager, fixed for its lifetime.
   */
  async create(owner: string, title?: string, options: { automatic?: boolean; directAgent?: string } = {}): Promise<Conversation> {
    const id = shardedConversationId(randomInt(this.shards), randomBytes(15).toString("base64url"));
    const createdAt = new Date().toISOString();
    const chosen = title || DEFAULT_TITLE;
    const conversation: Conversation = {
      id,
      title: options.automatic ? await this.distinctTitle(owner, id, chosen) : chosen,
      createdAt,
      ...(options.directAgent === undefined ? {} : { directAgent: options.directAgent }),
    };
    await this.redis.hset(this.keys.meta(id), {
      owner,
      title: conversation.title,
      createdAt,
      ...(options.directAgent === undefined ? {} : { directAgent: options.directAgent }),
    });
    await this.redis.zadd(this.keys.ownerConversations(owner), Date.now(), id);
    return conversation;
  }

  /**
   * The conversation, if it exists and belongs to `owner`; another user's is as good as missing,
   * and so is one being deleted (unless `deleting` asks for it, to finish the deletion).
   */
  async get(owner: string, id: string, options: { deleting?: boolean } = {}): Promise<Conversation | undefined> {
    const meta = await this.redis.hgetall(this.keys.meta(id));
    if (meta.owner !== owner || meta.title === undefined || meta.createdAt === undefined) return undefined;
    if (meta.deleting !== undefined && !options.deleting) return undefined;
    return { id, title: meta.title, createdAt: meta.createdAt, ...(meta.directAgent === undefined ? {} : { directAgent: meta.directAgent }) };
  }

  /** Who owns the conversation; undefined when it does not exist. */
  async owner(id: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.meta(id), "owner")) ?? undefined;
  }

  /** The owner's conversations, newest first; one being deleted is left out. */
  async list(owner: string, limit = 200): Promise<Conversation[]> {
    const ids = await this.redis.zrevrange(this.keys.ownerConversations(owner), 0, limit - 1);
    const metas = await Promise.all(ids.map((id) => this.redis.hmget(this.keys.meta(id), "title", "createdAt", "deleting", "directAgent")));
    return ids.flatMap((id, index) => {
      const [title, createdAt, deleting, directAgent] = metas[index] ?? [];
      return title && createdAt && !deleting ? [{ id, title, createdAt, ...(directAgent ? { directAgent } : {}) }] : [];
    });
  }

  /** Sets the title a person chose, as given; undefined when the owner has no such conversation. */
  async rename(owner: string, id: string, title: string): Promise<Conversation | undefined> {
    const conversation = await this.get(owner, id);
    if (!conversation) return undefined;
    await this.redis.hset(this.keys.meta(id), "title", title);
    return { ...conversation, title };
  }

  /**
   * Names a conversation after its first message, unless someone named it already. Two of an
   * owner's conversations that start alike get "(2)", "(3)", … so the list tells them apart.
   */
  async nameAutomatically(owner: string, id: string, title: string): Promise<void> {
    const conversation = await this.get(owner, id);
    if (!conversation || conversation.title !== DEFAULT_TITLE) return;
    await this.redis.hset(this.keys.meta(id), "title", await this.distinctTitle(owner, id, title || DEFAULT_TITLE));
  }

  /** `title`, or it with the first free " (n)": compared case-insensitively with the owner's newest titles. */
  private async distinctTitle(owner: string, id: string, title: string): Promise<string> {
    const taken = new Set((await this.list(owner)).filter((other) => other.id !== id).map((other) => fold(other.title)));
    if (!taken.has(fold(title))) return title;
    for (let n = 2; ; n += 1) {
      const candidate = `${title} (${n})`;
      if (!taken.has(fold(candidate))) return candidate;
    }
  }

  /**
   * The owner's conversations whose title or messages contain `query` (case-insensitive), newest
   * first, each with what matched. A scan, bounded by SEARCH_LIMITS: the newest 200 conversations,
   * and the newest 100 log entries of each whose title does not match. It costs one hash read and
   * at most one stream read per conversation, whatever the number of users. An entry is parsed
   * only when its raw JSON contains the query: most of a scan is one lower-casing per entry.
   */
  async search(owner: string, query: string): Promise<ConversationHit[]> {
    const needle = fold(query);
    const prefilter = !ESCAPED_IN_JSON.test(needle);
    const conversations = await this.list(owner, SEARCH_LIMITS.conversations);
    const hits = await Promise.all(
      conversations.map(async (conversation): Promise<ConversationHit | undefined> => {
        const inTitle = fold(conversation.title).indexOf(needle);
        if (inTitle >= 0) return { ...conversation, match: { in: "title", text: conversation.title } };
        const entries = (await this.redis.xrevrange(
          this.keys.events(conversation.id),
          "+",
          "-",
          "COUNT",
          SEARCH_LIMITS.entriesPerConversation,
        )) as RawEntry[];
        for (const [entryId, fields] of entries) {
          const raw = fields[fields.indexOf("e") + 1] ?? "";
          if (!MESSAGE_ENTRY.test(raw) || (prefilter && !fold(raw).includes(needle))) continue;
          const parsed = parseEntry(conversation.id, entryId, fields);
          if (!parsed.ok) continue;
          const { event } = parsed;
          if (event.type !== "message.user" && event.type !== "message.agent") continue;
          if (!fold(event.data.text).includes(needle)) continue;
          // Mapped back character by character only for the message that matched.
          const { folded, places } = foldWithPlaces(event.data.text);
          const at = places[folded.indexOf(needle)] ?? 0;
          return { ...conversation, match: { in: "message", text: snippet(event.data.text, at, query.length) } };
        }
        return undefined;
      }),
    );
    return hits.filter((hit) => hit !== undefined);
  }
}
