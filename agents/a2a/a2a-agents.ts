import { setTimeout as sleep } from "node:timers/promises";
import { Role, TaskState, type AgentCard, type Message, type Part, type Task, type TaskStatus } from "@a2a-js/sdk";
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  RestTransportFactory,
  type Client,
} from "@a2a-js/sdk/client";
import type { Logger } from "../../platform/logger.js";
import type { CatalogEntry } from "../catalog.js";
import type { AgentDefinition } from "../define-agent.js";
import { RunFailure } from "../errors.js";

type Remote = NonNullable<AgentDefinition["remote"]>;

/** How long a run waits for a remote agent's answer when its catalog file sets no `timeoutMs`. */
const DEFAULT_REMOTE_TIMEOUT_MS = 300_000;
/** How long reading a card may take. */
const CARD_TIMEOUT_MS = 10_000;
/** How long a cancellation of the remote task may take when a turn is stopped. */
const CANCEL_TIMEOUT_MS = 5_000;
/** How often a task the remote is still working on is asked about, when its agent does not stream. */
const POLL_MS = 1_000;

const TERMINAL = new Set([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);
/** States in which the remote waits for something a delegated task cannot give it. */
const INTERRUPTED = new Set([TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED]);

/** What one run of a remote agent sends, and how it hears back. */
export interface RemoteTurn {
  /** Our agent's name, for messages. */
  agent: string;
  /** The run's id: the message id derives from it, so the remote can tell a resend from a new request. */
  runId: string;
  /** Groups the tasks of one conversation on the remote. */
  contextId: string;
  task: string;
  /** The conversation before the task, as text; empty for a delegated task, which carries its own context. */
  context: string;
  /** The remote task a previous attempt of this run created: asked about before anything is sent again. */
  taskId: string | undefined;
  /** Aborted when the turn is stopped: the remote task is cancelled. */
  signal: AbortSignal;
  /** The remote created a task for the run: checkpoint its id before waiting for it. */
  onTask(taskId: string): Promise<void>;
  /** Text the remote streamed. */
  onText(text: string): void;
}

/** The remote task ended without an answer (failed, rejected, cancelled, or waiting for input we cannot give). */
class RemoteTaskEnded extends Error {}

/**
 * Remote A2A agents as team members, through the official SDK's client: reads each card (once,
 * and again after a failure), sends a run's task as one message whose id derives from the run,
 * follows the task to its end (streamed when the card says the agent streams, polled otherwise),
 * and cancels it when the turn is stopped. Every way it can go wrong ends as a `RunFailure` whose
 * message says what to check.
 */
export class A2aAgents {
  /** Clients by card and headers; dropped after a failure, so the next use reads the card again. */
  private readonly clients = new Map<string, Promise<{ client: Client; card: AgentCard }>>();

  constructor(private readonly log: Logger) {}

  /** Reads the remote agent's card; throws with the reason when it cannot. */
  async card(remote: Pick<Remote, "card" | "headers">): Promise<AgentCard> {
    return resolver(remote.headers).resolve(remote.card, "");
  }

  /** Sends the turn's task to the remote agent and returns its answer. */
  async answer(remote: Remote, turn: RemoteTurn): Promise<string> {
    const timeoutMs = remote.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([turn.signal, deadline]);
    let taskId = turn.taskId;
    const tracked: RemoteTurn = {
      ...turn,
      onTask: async (id) => {
        if (id === taskId) return;
        taskId = id;
        await turn.onTask(id);
      },
    };
    const log = this.log.child({ agent: turn.agent, runId: turn.runId, card: remote.card });
    for (let attempt = 1; ; attempt++) {
      try {
        const { client, card } = await this.client(remote);
        return await this.exchange(client, card, { ...tracked, taskId }, signal);
      } catch (error) {
        if (turn.signal.aborted) {
          if (taskId) await this.cancel(remote, taskId, log);
          throw error;
        }
        if (deadline.aborted) {
          if (taskId) await this.cancel(remote, taskId, log);
          throw new RunFailure(
            "remote_agent",
            `The remote agent ${turn.agent} did not answer within ${Math.round(timeoutMs / 1000)} s (timeoutMs in its catalog file).`,
            { cause: error },
          );
        }
        if (error instanceof RemoteTaskEnded) throw new RunFailure("remote_agent", error.message, { cause: error });
        this.clients.delete(key(remote));
        if (attempt >= 2) {
          throw new RunFailure(
            "remote_agent",
            `Could not reach the remote agent ${turn.agent} (card ${remote.card}): ${reasonOf(error)}. Check that it is running and that its catalog file's card URL and headers are right.`,
            { cause: error },
          );
        }
        log.warn({ err: error }, "the remote agent failed; reading its card again and trying once more");
      }
    }
  }

  private client(remote: Remote): Promise<{ client: Client; card: AgentCard }> {
    const id = key(remote);
    let entry = this.clients.get(id);
    if (!entry) {
      entry = (async () => {
        const card = await this.card(remote);
        const fetchImpl = withHeaders(remote.headers);
        const factory = new ClientFactory(
          ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
            transports: [new JsonRpcTransportFactory({ fetchImpl, legacyCompat: { enabled: true } }), new RestTransportFactory({ fetchImpl, legacyCompat: { enabled: true } })],
            cardResolver: resolver(remote.headers),
          }),
        );
        return { client: await factory.createFromAgentCard(card), card };
      })();
      this.clients.set(id, entry);
      entry.catch(() => this.clients.delete(id));
    }
    return entry;
  }

  private async exchange(client: Client, card: AgentCard, turn: RemoteTurn, signal: AbortSignal): Promise<string> {
    if (turn.taskId) {
      const known = await client.getTask({ tenant: "", id: turn.taskId, historyLength: 1 }, { signal }).catch((error: unknown) => {
        if (signal.aborted) throw error;
        // Forgotten by the remote (a restart of an agent that keeps tasks in memory): sent again below.
        this.log.info({ err: error, taskId: turn.taskId, agent: turn.agent }, "the remote does not know the run's task; sending the message again");
        return undefined;
      });
      if (known) return this.follow(client, card, known, turn, signal);
    }
    const request = {
      tenant: "",
      message: message(turn),
      configuration: { acceptedOutputModes: ["text/plain", "text/markdown"], taskPushNotificationConfig: undefined, returnImmediately: false },
      metadata: undefined,
    };
    if (!card.capabilities?.streaming) {
      const result = await client.sendMessage(request, { signal });
      if (isMessage(result)) return textOf(result.parts);
      await turn.onTask(result.id);
      return this.follow(client, card, result, turn, signal);
    }
    return this.stream(client, card, client.sendMessageStream(request, { signal }), turn, signal);
  }

  /** Reads a task's stream to its end: streamed artifact text goes out as it comes, the end decides the answer. */
  private async stream(client: Client, card: AgentCard, events: ReturnType<Client["sendMessageStream"]>, turn: RemoteTurn, signal: AbortSignal): Promise<string> {
    const artifacts = new Map<string, string>();
    let taskId = turn.taskId;
    for await (const event of events) {
      const payload = event.payload;
      if (!payload) continue;
      switch (payload.$case) {
        case "message":
          return textOf(payload.value.parts);
        case "task":
          taskId = payload.value.id;
          await turn.onTask(taskId);
          for (const artifact of payload.value.artifacts) artifacts.set(artifact.artifactId, textOf(artifact.parts));
          if (ended(payload.value.status)) return outcome(payload.value, turn.agent);
          break;
        case "artifactUpdate": {
          const { artifact, append } = payload.value;
          if (!artifact) break;
          const text = textOf(artifact.parts);
          artifacts.set(artifact.artifactId, (append ? (artifacts.get(artifact.artifactId) ?? "") : "") + text);
          if (text) turn.onText(text);
          break;
        }
        case "statusUpdate": {
          taskId = payload.value.taskId || taskId;
          if (taskId) await turn.onTask(taskId);
          const status = payload.value.status;
          if (!ended(status)) break;
          const streamed = [...artifacts.values()].filter(Boolean).join("\n\n");
          if (status?.state === TaskState.TASK_STATE_COMPLETED && streamed) return streamed;
          // Completed with nothing streamed and nothing said: the answer may be in the stored task.
          if (status?.state === TaskState.TASK_STATE_COMPLETED && !textOf(status.message?.parts) && taskId) {
            return outcome(await client.getTask({ tenant: "", id: taskId, historyLength: 1 }, { signal }), turn.agent);
          }
          return outcome({ id: taskId ?? "", contextId: "", status, artifacts: [], history: [], metadata: undefined }, turn.agent);
        }
      }
    }
    // The stream closed before the task ended: ask for the task itself.
    if (!taskId) throw new Error("the remote closed its stream without a task or an answer");
    return this.follow(client, card, await client.getTask({ tenant: "", id: taskId, historyLength: 1 }, { signal }), turn, signal);
  }

  /** Waits for a task the remote is working on: its stream again when the agent streams, else asking every second. */
  private async follow(client: Client, card: AgentCard, task: Task, turn: RemoteTurn, signal: AbortSignal): Promise<string> {
    if (ended(task.status)) return outcome(task, turn.agent);
    if (card.capabilities?.streaming) return this.stream(client, card, client.resubscribeTask({ tenant: "", id: task.id }, { signal }), { ...turn, taskId: task.id }, signal);
    for (;;) {
      await sleep(POLL_MS, undefined, { signal });
      const current = await client.getTask({ tenant: "", id: task.id, historyLength: 1 }, { signal });
      if (ended(current.status)) return outcome(current, turn.agent);
    }
  }

  /** Cancels the remote task of a stopped or timed-out run; the remote saying no (it had finished) is only logged. */
  async cancel(remote: Remote, taskId: string, log: Logger): Promise<void> {
    try {
      const { client } = await this.client(remote);
      await client.cancelTask({ tenant: "", id: taskId, metadata: undefined }, { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
      log.info({ taskId }, "remote task cancelled");
    } catch (error) {
      log.warn({ err: error, taskId }, "could not cancel the remote task");
    }
  }
}

function key(remote: Pick<Remote, "card" | "headers">): string {
  return JSON.stringify([remote.card, remote.headers]);
}

function resolver(headers: Record<string, string>): DefaultAgentCardResolver {
  return new DefaultAgentCardResolver({ fetchImpl: withHeaders(headers, CARD_TIMEOUT_MS), legacyCompat: { enabled: true } });
}

/** `fetch` that sends the catalog file's headers with every request (a caller's own headers win). */
function withHeaders(headers: Record<string, string>, timeoutMs?: number): typeof fetch {
  return (input, init) => {
    const merged = new Headers(headers);
    new Headers(init?.headers).forEach((value, name) => merged.set(name, value));
    const signal = init?.signal ?? (timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs));
    return fetch(input, { ...init, headers: merged, ...(signal ? { signal } : {}) });
  };
}

function message(turn: RemoteTurn): Message {
  const parts: Part[] = [textPart(turn.task)];
  if (turn.context) parts.push(textPart(`The conversation so far, for context:\n${turn.context}`));
  return {
    messageId: `switchboard-${turn.runId}`,
    contextId: turn.contextId,
    taskId: "",
    role: Role.ROLE_USER,
    parts,
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

function textPart(text: string): Part {
  return { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" };
}

function isMessage(result: Message | Task): result is Message {
  return "messageId" in result;
}

function textOf(parts: Part[] | undefined): string {
  return (parts ?? [])
    .map((part) => (part.content?.$case === "text" ? part.content.value : part.content?.$case === "data" ? JSON.stringify(part.content.value) : ""))
    .filter(Boolean)
    .join("\n");
}

function ended(status: TaskStatus | undefined): boolean {
  return status !== undefined && (TERMINAL.has(status.state) || INTERRUPTED.has(status.state));
}

/** A finished task's answer (its artifacts' text, else its status message), or why it has none. */
function outcome(task: Task, agent: string): string {
  const state = task.status?.state;
  const said = textOf(task.status?.message?.parts);
  if (state === TaskState.TASK_STATE_COMPLETED) {
    const answer = task.artifacts.map((artifact) => textOf(artifact.parts)).filter(Boolean).join("\n\n") || said;
    return answer || `${agent} finished the task without a text answer.`;
  }
  const why = said ? `: ${said}` : "";
  switch (state) {
    case TaskState.TASK_STATE_FAILED:
      throw new RemoteTaskEnded(`The remote agent ${agent} failed the task${why}`);
    case TaskState.TASK_STATE_REJECTED:
      throw new RemoteTaskEnded(`The remote agent ${agent} refused the task${why}`);
    case TaskState.TASK_STATE_CANCELED:
      throw new RemoteTaskEnded(`The remote agent ${agent} cancelled the task${why}`);
    default:
      throw new RemoteTaskEnded(`The remote agent ${agent} needs more input or authorization than a handed-off task can give${why}`);
  }
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${message}${cause}`.slice(0, 300);
}

/**
 * Reads the card of every remote agent in the catalog as the agents process starts, so the manager
 * routes on what the remote says it does when its file gives no description. A card that cannot be
 * read is logged as a problem of its file and stops nothing: the agent joins the team, and its runs
 * read the card again.
 */
export async function describeFromCards(entries: CatalogEntry[], a2a: A2aAgents, log: Logger): Promise<void> {
  await Promise.all(
    entries.map(async (entry) => {
      const { remote: link, spec } = entry;
      if (!link || !spec.remote) return;
      try {
        const card = await a2a.card({ card: spec.remote.card, headers: link.headers });
        const description = card.description.trim().slice(0, 1000);
        if (link.describeFromCard && description.length >= 10) spec.description = description;
        log.info({ agent: spec.name, card: spec.remote.card, remoteName: card.name }, "remote A2A agent's card read");
      } catch (error) {
        log.warn(
          { agent: spec.name, card: spec.remote.card, reason: reasonOf(error) },
          `${entry.file}: card: could not read ${spec.remote.card} (${reasonOf(error)}); ${spec.name} joins the team anyway and its runs try the card again`,
        );
      }
    }),
  );
}
