import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { z } from "zod";
import { StepRecord, Usage, type NewEvent } from "../shared/events.js";
import { TurnJob, WorkflowJob } from "../shared/jobs.js";
import type { Keys } from "../shared/keys.js";
import type { Appended, ConversationLog, Write } from "../platform/conversation-log.js";
import type { RedisClient } from "../platform/redis.js";
import { RunSteps } from "../platform/run-steps.js";
import type { RecordedStep } from "../shared/run-steps.js";

export const RUN_STATE_VERSION = 2;

/** Runs this run waits for: the agents it delegated to, or the workflow a tool call started. */
const Waiting = z.object({
  toolCallId: z.string(),
  tool: z.string(),
  kind: z.enum(["delegate", "workflow"]),
  children: z.array(
    z.object({
      id: z.string(),
      queue: z.string(),
      /** The agent, or the workflow, that does the child's work. */
      name: z.string(),
      task: z.string(),
      data: z.union([TurnJob, WorkflowJob]),
    }),
  ),
});
export type Waiting = z.infer<typeof Waiting>;

/** The checkpoint of a run, rewritten after every finished step so a retry resumes there. */
export const RunState = z.object({
  v: z.literal(RUN_STATE_VERSION),
  job: TurnJob,
  model: z.string(),
  /** The agent's model settings when the run began: a run keeps them, as it keeps its model. */
  temperature: z.number().optional(),
  maxTokens: z.number().int().optional(),
  startedAt: z.number(),
  status: z.enum(["running", "waiting", "completed", "failed", "cancelled"]),
  /** The model conversation so far: exactly what the next model call will be sent. */
  messages: z.array(z.custom<ChatCompletionMessageParam>((value) => typeof value === "object" && value !== null)),
  steps: z.array(StepRecord),
  usage: Usage,
  /** Model calls and cost of the runs this one waited for (delegations, workflows), added to its own. */
  childModelCalls: z.number().int().nonnegative(),
  childCostUsd: z.number().nonnegative(),
  /** Tool calls of the last model step that have no result yet. */
  pendingToolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })),
  waiting: Waiting.optional(),
  /** The run a transfer handed the conversation to; added again if the run is retried after it finished. */
  handOff: TurnJob.optional(),
  result: z.string().optional(),
  /** A remote agent's run: the task the remote created for it, asked about again on a retry before anything is resent. */
  remoteTaskId: z.string().optional(),
});
export type RunState = z.infer<typeof RunState>;

/** Finished runs are kept a week for inspection, then expire. */
const FINISHED_TTL_SECONDS = 7 * 24 * 3600;

export class RunStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly conversationLog: ConversationLog,
  ) {}

  async load(conversationId: string, runId: string): Promise<RunState | undefined> {
    const raw = await this.redis.get(this.keys.run(conversationId, runId));
    if (raw === null) return undefined;
    return RunState.parse(JSON.parse(raw));
  }

  /**
   * Checkpoints the run and, in the same script (one round trip, one slot), records the model step
   * just finished, appends the event that reports the new state (once per key, as every event) and
   * makes `writes` of the conversation's; a finished run's recorded steps expire with its
   * checkpoint. Returns the event as appended.
   */
  save(state: RunState, also: { step?: RecordedStep; event: { event: NewEvent; key: string }; writes?: Write[] }): Promise<Appended>;
  save(state: RunState, also?: { step?: RecordedStep; writes?: Write[] }): Promise<void>;
  async save(state: RunState, also: { step?: RecordedStep; event?: { event: NewEvent; key: string }; writes?: Write[] } = {}): Promise<Appended | void> {
    const { conversationId, runId } = state.job;
    const finished = state.status === "completed" || state.status === "failed" || state.status === "cancelled";
    const writes: Write[] = [
      { op: "set", key: this.keys.run(conversationId, runId), value: JSON.stringify(state), ...(finished ? { ttlSeconds: FINISHED_TTL_SECONDS } : {}) },
      ...(also.step ? [RunSteps.write(this.keys, conversationId, runId, also.step)] : []),
      ...(finished ? [RunSteps.expire(this.keys, conversationId, runId, FINISHED_TTL_SECONDS)] : []),
      ...(also.writes ?? []),
    ];
    return this.conversationLog.appendWriting(conversationId, also.event?.event, also.event?.key ?? "", writes);
  }
}
