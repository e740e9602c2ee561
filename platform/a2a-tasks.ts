import { Task, type ListTasksRequest, type ListTasksResponse } from "@a2a-js/sdk";
import type { ServerCallContext, TaskStore } from "@a2a-js/sdk/server";
import type { Keys } from "../shared/keys.js";
import type { RedisClient } from "./redis.js";

/** How long a task stays readable (tasks/get, tasks/list) after its last update. */
export const A2A_TASK_TTL_SECONDS = 7 * 24 * 3600;

/** The most tasks a list looks through: a user's newest. */
const LIST_WINDOW = 1000;
const DEFAULT_PAGE_SIZE = 50;

/**
 * The A2A SDK's task store, in Redis: each task is one key of its owner's (the SDK's Task as its
 * protocol JSON) that expires a week after its last update, and the owner's tasks are a sorted
 * set, so any server process answers tasks/get, tasks/list and tasks/cancel for a task another one
 * runs. A caller sees only their own tasks: the owner is the authenticated user.
 */
export class A2ATaskStore implements TaskStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async save(task: Task, context: ServerCallContext): Promise<void> {
    const owner = ownerOf(context);
    const index = this.keys.ownerA2aTasks(owner);
    const now = Date.now();
    // Both keys share the owner's hash tag: one transaction, in one slot.
    await this.redis
      .multi()
      .set(this.keys.a2aTask(owner, task.id), JSON.stringify(Task.toJSON(task)), "EX", A2A_TASK_TTL_SECONDS)
      .zadd(index, now, task.id)
      .zremrangebyscore(index, "-inf", now - A2A_TASK_TTL_SECONDS * 1000)
      .expire(index, A2A_TASK_TTL_SECONDS)
      .exec();
  }

  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    const raw = await this.redis.get(this.keys.a2aTask(ownerOf(context), taskId));
    return raw === null ? undefined : Task.fromJSON(JSON.parse(raw));
  }

  /** Newest first; `pageToken` is the offset of the page in the filtered list. */
  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const owner = ownerOf(context);
    const ids = await this.redis.zrevrange(this.keys.ownerA2aTasks(owner), 0, LIST_WINDOW - 1);
    const raws = ids.length === 0 ? [] : await this.redis.mget(ids.map((id) => this.keys.a2aTask(owner, id)));
    const after = params.statusTimestampAfter ? Date.parse(params.statusTimestampAfter) : undefined;
    const matching = raws.flatMap((raw) => {
      if (raw === null) return [];
      const task = Task.fromJSON(JSON.parse(raw));
      if (params.contextId && task.contextId !== params.contextId) return [];
      if (params.status && task.status?.state !== params.status) return [];
      if (after !== undefined && Date.parse(task.status?.timestamp ?? "") <= after) return [];
      return [params.includeArtifacts ? task : { ...task, artifacts: [] }];
    });
    const pageSize = params.pageSize ?? DEFAULT_PAGE_SIZE;
    const offset = Number.parseInt(params.pageToken || "0", 10) || 0;
    const tasks = matching.slice(offset, offset + pageSize);
    const next = offset + pageSize;
    return { tasks, nextPageToken: next < matching.length ? String(next) : "", pageSize, totalSize: matching.length };
  }
}

/** Whose tasks a call sees: the authenticated user's (the A2A endpoint refuses anyone else). */
function ownerOf(context: ServerCallContext): string {
  const user = context.user;
  if (!user?.isAuthenticated) throw new Error("an A2A task store call without an authenticated user");
  return user.userName;
}
