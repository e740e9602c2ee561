import type { Redis } from "ioredis";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { z } from "zod";
import { StepRecord, Usage } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";

export const RUN_STATE_VERSION = 1;

/** What a job carries: enough to start its run; everything learned later lives in the checkpoint. */
export const TurnJob = z.object({
  v: z.literal(1),
  conversationId: z.string(),
  runId: z.string(),
  agent: z.string(),
  mode: z.enum(["turn", "transfer", "delegate"]),
  /** The request this run works on: the user's message, or the delegated task. */
  task: z.string(),
  depth: z.number().int().nonnegative(),
  /** Agents from the root run to this one; used to refuse work bouncing between two agents. */
  chain: z.array(z.string()),
  parentRunId: z.string().optional(),
  /** The user message that started the root run; history is what came before it. */
  triggerEventId: z.string().optional(),
});
export type TurnJob = z.infer<typeof TurnJob>;

/** What a delegated child hands back to its parent. */
export const ChildResult = z.object({
  runId: z.string(),
  agent: z.string(),
  status: z.enum(["completed", "failed"]),
  result: z.string(),
});
export type ChildResult = z.infer<typeof ChildResult>;

const Delegation = z.object({
  toolCallId: z.string(),
  children: z.array(z.object({ runId: z.string(), agent: z.string(), task: z.string() })),
});

/** The checkpoint of a run, rewritten after every finished step so a retry resumes there. */
export const RunState = z.object({
  v: z.literal(RUN_STATE_VERSION),
  job: TurnJob,
  model: z.string(),
  startedAt: z.number(),
  status: z.enum(["running", "waiting", "completed", "failed"]),
  /** The model conversation so far: exactly what the next model call will be sent. */
  messages: z.array(z.custom<ChatCompletionMessageParam>((value) => typeof value === "object" && value !== null)),
  steps: z.array(StepRecord),
  usage: Usage,
  /** Tool calls of the last model step that have no result yet. */
  pendingToolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
  delegation: Delegation.optional(),
  result: z.string().optional(),
});
export type RunState = z.infer<typeof RunState>;

/** Finished runs are kept a week for inspection, then expire. */
const FINISHED_TTL_SECONDS = 7 * 24 * 3600;

export class RunStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async load(conversationId: string, runId: string): Promise<RunState | undefined> {
    const raw = await this.redis.get(this.keys.run(conversationId, runId));
    if (raw === null) return undefined;
    return RunState.parse(JSON.parse(raw));
  }

  async save(state: RunState): Promise<void> {
    const key = this.keys.run(state.job.conversationId, state.job.runId);
    const finished = state.status === "completed" || state.status === "failed";
    if (finished) await this.redis.set(key, JSON.stringify(state), "EX", FINISHED_TTL_SECONDS);
    else await this.redis.set(key, JSON.stringify(state));
  }
}
