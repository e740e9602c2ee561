import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { z } from "zod";
import { StepRecord, Usage, type Event, type EventType } from "../shared/events.js";
import { TurnJob, WorkflowJob } from "../shared/jobs.js";
import type { Keys } from "../shared/keys.js";
import type { Appended, ConversationLog, KeyedEvent, Write } from "../platform/conversation-log.js";
import type { RedisClient } from "../platform/redis.js";
import { RunSteps } from "../platform/run-steps.js";
import { StopMarker } from "../platform/turn-stops.js";
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

/** What a checkpoint is written with, in the same script. */
export interface Checkpointed {
  /** The model step just finished, recorded for the trace. */
  step?: RecordedStep;
  /** Events that report the new state, each once per key. */
  events?: KeyedEvent[];
  /** Other writes of the conversation's (a run's streamed text dropped). */
  writes?: Write[];
  /** The user message whose turn the run is in: nothing is written if a stop covers it first. */
  unlessStopped?: string;
}

/** A run as its job finds it: its checkpoint, or what its first step needs. */
export interface OpenedRun {
  /** The checkpoint, when an earlier attempt wrote one. */
  state?: RunState;
  /** The conversation's stop marker, if any. */
  marker?: StopMarker;
  /** For a new run, the conversation's events before its turn of the types asked for, oldest first. */
  history: Event[];
}

export class RunStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly conversationLog: ConversationLog,
  ) {}

  /**
   * Opens the run `job` in one round trip: its checkpoint and the stop marker, and for a run with
   * no checkpoint yet its history and its first event (`first`, logged once, unless the marker
   * stops the turn). A checkpoint is data this process wrote: it is not validated again.
   */
  async open(job: TurnJob, first: KeyedEvent, history: { count: number; types: ReadonlySet<EventType>; before?: string }): Promise<OpenedRun & { first?: Appended }> {
    const opened = await this.conversationLog.openRun(job.conversationId, {
      checkpointKey: this.keys.run(job.conversationId, job.runId),
      first,
      history,
      ...(job.triggerEventId === undefined ? {} : { turn: job.triggerEventId }),
    });
    const marker = StopMarker.safeParse(opened.marker);
    return {
      ...(opened.checkpoint ? { state: restore(opened.checkpoint) } : {}),
      ...(marker.success ? { marker: marker.data } : {}),
      history: opened.history,
      ...(opened.first ? { first: opened.first } : {}),
    };
  }

  /**
   * Checkpoints the run and, in the same script (one round trip, one slot), records the model step
   * just finished, appends the events that report the new state (each once per key) and makes
   * `writes` of the conversation's; a finished run's recorded steps expire with its checkpoint.
   * Returns the events as appended, or who stopped the turn when `unlessStopped` kept it all out.
   */
  async save(state: RunState, also: Checkpointed = {}): Promise<{ appended: Appended[] } | { stoppedBy: string }> {
    const { conversationId, runId } = state.job;
    const finished = state.status === "completed" || state.status === "failed" || state.status === "cancelled";
    const writes: Write[] = [
      { op: "set", key: this.keys.run(conversationId, runId), value: JSON.stringify(state), ...(finished ? { ttlSeconds: FINISHED_TTL_SECONDS } : {}) },
      ...(also.step ? [RunSteps.write(this.keys, conversationId, runId, also.step)] : []),
      ...(finished ? [RunSteps.expire(this.keys, conversationId, runId, FINISHED_TTL_SECONDS)] : []),
      ...(also.writes ?? []),
    ];
    return this.conversationLog.appendWriting(conversationId, also.events ?? [], writes, also.unlessStopped);
  }
}

/** A checkpoint as written: an older version's is parsed (and so checked); this version's is taken as it is. */
function restore(raw: string): RunState {
  const stored = JSON.parse(raw) as { v?: unknown };
  return stored.v === RUN_STATE_VERSION ? (stored as RunState) : RunState.parse(stored);
}
