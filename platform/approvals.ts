import { APPROVAL_VERSION, Approval } from "../shared/approval.js";
import type { AgentName } from "../shared/agent-name.js";
import type { ApprovalDecision } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import type { ConversationLog } from "./conversation-log.js";
import type { Queues } from "./queues.js";
import type { RedisClient } from "./redis.js";

/**
 * Writes a decision if the record is still the pending one the caller read. A pending approval is
 * never rewritten (`request` only ever adds), so "not the record I read" means "decided by someone
 * else in between". The script compares strings and never re-encodes JSON: Lua's cjson would turn
 * an empty array in `data` into an object and round long numbers.
 */
const DECIDE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return {'not_found'} end
if current ~= ARGV[2] then return {'changed', current} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return {'decided', ARGV[3]}
`;

/** How long after a decision a later attempt still finishes its follow-ups (see `decide`). */
const FOLLOW_UP_WINDOW_MS = 24 * 3600 * 1000;

export type ApprovalRequest = Omit<Approval, "v" | "status" | "decidedBy" | "decidedAt" | "comment">;

export type DecideOutcome =
  | { outcome: "decided"; approval: Approval }
  | { outcome: "already_decided"; approval: Approval }
  | { outcome: "not_found" };

type DecideCommand = {
  sbDecideApproval(hash: string, id: string, expected: string, decided: string): Promise<[string, string?]>;
};

/**
 * Approvals: a person's decision a run waits for. Each is one JSON value in one hash and is decided
 * once, atomically; the first decision wins, whoever makes it (a user, the admin, or the timeout).
 */
export class Approvals {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly conversationLog: ConversationLog,
    private readonly queues: Queues,
  ) {
    if (!("sbDecideApproval" in redis)) redis.defineCommand("sbDecideApproval", { numberOfKeys: 1, lua: DECIDE_SCRIPT });
  }

  /**
   * Records a request and logs `approval.requested` in its conversation. Idempotent by id: asking
   * again returns the stored approval (decided or not) and finishes what a cut-off first call left
   * undone. The event's `runId` is the approval's unless `envelope` says otherwise.
   */
  async request(fields: ApprovalRequest, envelope: { agent?: AgentName; runId?: string } = {}): Promise<Approval> {
    const fresh = Approval.parse({ ...fields, v: APPROVAL_VERSION, status: "pending" });
    const created = await this.redis.hsetnx(this.keys.approvals(), fresh.id, JSON.stringify(fresh));
    const approval = created === 1 ? fresh : await this.get(fresh.id);
    if (!approval) throw new Error(`approval ${fresh.id} exists but cannot be read`);
    if (approval.status !== "pending") return approval;
    // NX: a retried request keeps the first request's place in the owner's list.
    await this.redis.zadd(this.keys.ownerApprovals(approval.owner), "NX", Date.parse(approval.requestedAt) || Date.now(), approval.id);
    await this.conversationLog.append(
      approval.conversationId,
      {
        type: "approval.requested",
        ...(envelope.agent ? { agent: envelope.agent } : {}),
        runId: envelope.runId ?? approval.runId,
        data: {
          approvalId: approval.id,
          kind: approval.kind,
          title: approval.title,
          data: approval.data,
          ...(approval.workflow !== undefined ? { workflow: approval.workflow } : {}),
          ...(approval.path !== undefined ? { path: approval.path } : {}),
          ...(approval.tool !== undefined ? { tool: approval.tool } : {}),
          ...(approval.timeoutAt !== undefined ? { timeoutAt: approval.timeoutAt } : {}),
          onTimeout: approval.onTimeout,
        },
      },
      `${approval.id}:requested`,
    );
    return approval;
  }

  async get(id: string): Promise<Approval | undefined> {
    const raw = await this.redis.hget(this.keys.approvals(), id);
    return raw === null ? undefined : parseApproval(raw);
  }

  /**
   * Approvals newest first: one owner's, or everyone's (`owner` undefined, for the admin). Pending
   * ones of one owner come from the owner's index; everything else scans the approvals hash, which
   * is fine at the scale of people deciding things (thousands, not millions).
   */
  async list(filter: { owner?: string; status?: Approval["status"] } = {}, limit = 200): Promise<Approval[]> {
    const { owner, status } = filter;
    let approvals: Approval[];
    if (owner !== undefined && status === "pending") {
      const ids = await this.redis.zrevrange(this.keys.ownerApprovals(owner), 0, limit - 1);
      const raws = ids.length > 0 ? await this.redis.hmget(this.keys.approvals(), ...ids) : [];
      // The index may briefly hold one just decided: the status filter below drops it.
      approvals = parseAll(raws);
    } else {
      approvals = parseAll(await this.redis.hvals(this.keys.approvals()));
    }
    return approvals
      .filter((a) => (owner === undefined || a.owner === owner) && (status === undefined || a.status === status))
      .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt))
      .slice(0, limit);
  }

  /**
   * Decides a pending approval; the first decision wins. `by` is the deciding user, or "timeout".
   * After the atomic write it drops the approval from the owner's pending list, logs
   * `approval.resolved` and wakes the parked job so the run continues. Those follow-ups are
   * idempotent, and a later attempt on an approval decided recently runs them again: a decider
   * cut off between the write and the wake-up does not leave the run asleep.
   */
  async decide(id: string, decision: ApprovalDecision, by: string, comment?: string): Promise<DecideOutcome> {
    for (;;) {
      const raw = await this.redis.hget(this.keys.approvals(), id);
      if (raw === null) return { outcome: "not_found" };
      const current = parseApproval(raw);
      if (!current) throw new Error(`approval ${id} cannot be read`);
      if (current.status !== "pending") {
        await this.followUpIfRecent(current);
        return { outcome: "already_decided", approval: current };
      }
      const decided: Approval = {
        ...current,
        status: decision === "approve" ? "approved" : "rejected",
        decidedBy: by,
        decidedAt: new Date().toISOString(),
        ...(comment ? { comment } : {}),
      };
      const [outcome, stored] = await (this.redis as unknown as DecideCommand).sbDecideApproval(
        this.keys.approvals(),
        id,
        raw,
        JSON.stringify(decided),
      );
      if (outcome === "not_found") return { outcome: "not_found" };
      if (outcome === "decided") {
        await this.followUp(decided);
        return { outcome: "decided", approval: decided };
      }
      // Someone else's write got in first: read theirs (a pending record never changes otherwise).
      const theirs = stored === undefined ? undefined : parseApproval(stored);
      if (theirs && theirs.status !== "pending") return { outcome: "already_decided", approval: theirs };
    }
  }

  private async followUp(approval: Approval): Promise<void> {
    if (approval.status === "pending") return;
    await this.redis.zrem(this.keys.ownerApprovals(approval.owner), approval.id);
    await this.conversationLog.append(
      approval.conversationId,
      {
        type: "approval.resolved",
        runId: approval.runId,
        data: {
          approvalId: approval.id,
          decision: approval.status === "approved" ? "approve" : "reject",
          by: approval.decidedBy ?? "unknown",
          ...(approval.comment ? { comment: approval.comment } : {}),
        },
      },
      `${approval.id}:resolved`,
    );
    await this.queues.wake({ conversationId: approval.conversationId }, approval.job.queue, approval.job.id);
  }

  private async followUpIfRecent(approval: Approval): Promise<void> {
    const decidedAt = Date.parse(approval.decidedAt ?? "");
    if (Number.isFinite(decidedAt) && Date.now() - decidedAt < FOLLOW_UP_WINDOW_MS) await this.followUp(approval);
  }
}

function parseAll(raws: (string | null)[]): Approval[] {
  return raws.flatMap((raw) => {
    const approval = raw === null ? undefined : parseApproval(raw);
    return approval ? [approval] : [];
  });
}

function parseApproval(raw: string): Approval | undefined {
  try {
    const parsed = Approval.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
