import { randomBytes, randomInt } from "node:crypto";
import type { Conversation } from "../shared/api.js";
import { shardedConversationId, type Keys } from "../shared/keys.js";
import type { RedisClient } from "./redis.js";

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
   * reached the client), never a listed one without metadata.
   */
  async create(owner: string, title?: string): Promise<Conversation> {
    const id = shardedConversationId(randomInt(this.shards), randomBytes(15).toString("base64url"));
    const createdAt = new Date().toISOString();
    const conversation = { id, title: title || "New conversation", createdAt };
    await this.redis.hset(this.keys.meta(id), { owner, title: conversation.title, createdAt });
    await this.redis.zadd(this.keys.ownerConversations(owner), Date.now(), id);
    return conversation;
  }

  /** The conversation, if it exists and belongs to `owner`; another user's is as good as missing. */
  async get(owner: string, id: string): Promise<Conversation | undefined> {
    const meta = await this.redis.hgetall(this.keys.meta(id));
    if (meta.owner !== owner || meta.title === undefined || meta.createdAt === undefined) return undefined;
    return { id, title: meta.title, createdAt: meta.createdAt };
  }

  /** Who owns the conversation; undefined when it does not exist. */
  async owner(id: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.meta(id), "owner")) ?? undefined;
  }

  /** The owner's conversations, newest first. */
  async list(owner: string, limit = 200): Promise<Conversation[]> {
    const ids = await this.redis.zrevrange(this.keys.ownerConversations(owner), 0, limit - 1);
    const metas = await Promise.all(ids.map((id) => this.redis.hmget(this.keys.meta(id), "title", "createdAt")));
    return ids.flatMap((id, index) => {
      const [title, createdAt] = metas[index] ?? [];
      return title && createdAt ? [{ id, title, createdAt }] : [];
    });
  }

  async rename(owner: string, id: string, title: string): Promise<void> {
    if (await this.get(owner, id)) await this.redis.hset(this.keys.meta(id), "title", title);
  }
}
