import type { Event, EventOf } from "../shared/events.js";

/** How a turn ended (as an A2A task ends); `agents` worked on it, in the order they started. */
export type TurnOutcome =
  | { state: "completed"; answer: EventOf<"message.agent"> | undefined; agents: string[] }
  | { state: "failed"; code: string; reason: string; agents: string[] }
  | { state: "canceled"; by: string; reason: string; agents: string[] };

/**
 * Follows one user turn through the conversation log: its runs are the manager's (or the direct
 * agent's) run `<conversation>-<message id>` and every run handed to from it, whose ids extend that
 * one (`…-w1`, …). The turn is over when every run it started has ended; the run that ended last
 * decides how (the one whose answer the user waits for: a delegating parent resumes after its
 * children, a transfer's target answers after the manager).
 */
export class TurnProgress {
  private readonly started: Set<string>;
  private readonly ended = new Set<string>();
  private readonly agents = new Set<string>();
  private answer: EventOf<"message.agent"> | undefined;

  constructor(readonly rootRunId: string) {
    this.started = new Set([rootRunId]);
  }

  /** Whether the event is one of this turn's runs'. */
  owns(event: Event): boolean {
    return event.runId !== undefined && (event.runId === this.rootRunId || event.runId.startsWith(`${this.rootRunId}-`));
  }

  /** Takes the turn's next event; the outcome once it is the last run's end. */
  observe(event: Event): TurnOutcome | undefined {
    if (!this.owns(event)) return undefined;
    switch (event.type) {
      case "handoff":
        this.started.add(event.data.childRunId);
        return undefined;
      case "run.started":
        this.started.add(event.runId ?? this.rootRunId);
        if (event.agent) this.agents.add(event.agent);
        return undefined;
      case "message.agent":
        this.answer = event;
        return undefined;
      case "run.completed":
      case "run.failed":
      case "run.cancelled":
        this.ended.add(event.runId ?? this.rootRunId);
        if ([...this.started].some((runId) => !this.ended.has(runId))) return undefined;
        return this.outcome(event);
      default:
        return undefined;
    }
  }

  private outcome(last: EventOf<"run.completed" | "run.failed" | "run.cancelled">): TurnOutcome {
    const agents = [...this.agents];
    if (last.type === "run.completed") return { state: "completed", answer: this.answer, agents };
    if (last.type === "run.failed") return { state: "failed", code: last.data.code, reason: last.data.reason, agents };
    return { state: "canceled", by: last.data.by, reason: last.data.reason, agents };
  }
}
