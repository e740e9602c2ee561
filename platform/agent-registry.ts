import { createHash } from "node:crypto";
import { AGENT_HISTORY_LIMIT, AGENT_SPEC_VERSION, AgentHistoryEntry, AgentSpec, ToolSummary, type AgentSource, type AgentSpecFields } from "../shared/agent-spec.js";
import type { Keys } from "../shared/keys.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";

/** What a registry change announces: the agents it touched and the registry's version after it. */
export interface RegistryChange {
  agents: string[];
  change: "created" | "updated" | "deleted";
  version: number;
}

/**
 * Pushes a definition onto an agent's history unless it is the same as the newest one (an agents
 * process re-seeding an unchanged team), numbering it after that one. An update of an agent with no
 * history, or whose newest entry is its deletion, is its creation; deletes and restores are always
 * recorded. The entry is spliced in as text: cjson would turn an empty list into `{}`.
 * KEYS[1] the history; ARGV[1] the entry's JSON without `n` and `change`, ARGV[2] its fingerprint,
 * ARGV[3] the cap, ARGV[4] the change. Returns the entry's n, or 0 when it was the same.
 */
const HISTORY_SCRIPT = `
local newest = redis.call('LINDEX', KEYS[1], 0)
local n = 1
local change = ARGV[4]
local previous = newest and cjson.decode(newest)
if previous then
  n = previous.n + 1
  if change == 'updated' and previous.change ~= 'deleted' and previous.fingerprint == ARGV[2] then return 0 end
end
if change == 'updated' and (not previous or previous.change == 'deleted') then change = 'created' end
redis.call('LPUSH', KEYS[1], '{"n":' .. n .. ',"change":"' .. change .. '",' .. string.sub(ARGV[1], 2))
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
return n
`;

type HistoryCommand = { sbAgentHistory(key: string, entry: string, fingerprint: string, limit: number, change: AgentHistoryEntry["change"]): Promise<number> };

/** Who saved a definition: a user, or the source that seeded it. */
export interface Change {
  by: string;
  /** For a restore: the history entry it brought back. */
  restoredFrom?: number;
}

/**
 * The one registry of agents, in Redis: code, catalog files and the API all write here, and every
 * agents process builds its team from it. Each change bumps a version and is announced, with that
 * version, on a sharded channel, so running processes start or stop workers within moments and know
 * the current version without asking Redis for it on every job.
 */
export class AgentRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly log: Logger,
  ) {
    if (!("sbAgentHistory" in redis)) redis.defineCommand("sbAgentHistory", { numberOfKeys: 1, lua: HISTORY_SCRIPT });
  }

  async list(): Promise<AgentSpec[]> {
    const entries = await this.redis.hgetall(this.keys.agents());
    return Object.entries(entries).flatMap(([name, raw]) => {
      const spec = parseStored(AgentSpec, raw);
      if (!spec) this.log.error({ agent: name }, "skipping an unreadable agent in the registry");
      return spec ? [spec] : [];
    });
  }

  async get(name: string): Promise<AgentSpec | undefined> {
    const raw = await this.redis.hget(this.keys.agents(), name);
    return raw === null ? undefined : parseStored(AgentSpec, raw);
  }

  async version(): Promise<number> {
    return Number((await this.redis.get(this.keys.agentsVersion())) ?? 0);
  }

  /** Creates the agent; false when the name is taken. */
  async create(input: AgentSpecFields, source: AgentSource, change: Change, origin?: string): Promise<AgentSpec | undefined> {
    const spec = stamp(input, source, origin);
    const created = await this.redis.hsetnx(this.keys.agents(), spec.name, JSON.stringify(spec));
    if (created === 0) return undefined;
    await this.record(spec, change.restoredFrom ? "restored" : "created", change);
    await this.announce([spec.name], "created");
    return spec;
  }

  /** Writes the agent whether or not it exists. */
  async put(input: AgentSpecFields, source: AgentSource, change: Change, origin?: string): Promise<AgentSpec> {
    const spec = stamp(input, source, origin);
    await this.redis.hset(this.keys.agents(), spec.name, JSON.stringify(spec));
    await this.record(spec, change.restoredFrom ? "restored" : "updated", change);
    await this.announce([spec.name], "updated");
    return spec;
  }

  /** Writes several agents at once, announced as one change (an agents process seeding its team). */
  async putAll(entries: { spec: AgentSpecFields; source: AgentSource; origin?: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const specs = entries.map(({ spec, source, origin }) => stamp(spec, source, origin));
    await this.redis.hset(this.keys.agents(), Object.fromEntries(specs.map((spec) => [spec.name, JSON.stringify(spec)])));
    await Promise.all(specs.map((spec) => this.record(spec, "updated", { by: spec.source })));
    await this.announce(specs.map((spec) => spec.name), "updated");
  }

  async delete(name: string, change: Change): Promise<boolean> {
    const spec = await this.get(name);
    const removed = await this.redis.hdel(this.keys.agents(), name);
    if (removed > 0 && spec) await this.record(spec, "deleted", change);
    if (removed > 0) await this.announce([name], "deleted");
    return removed > 0;
  }

  /** The agent's definitions as saved, newest first (a deleted agent's too, until they age out). */
  async history(name: string): Promise<AgentHistoryEntry[]> {
    const entries = await this.redis.lrange(this.keys.agentHistory(name), 0, AGENT_HISTORY_LIMIT - 1);
    return entries.flatMap((raw) => {
      const entry = parseStored(AgentHistoryEntry, raw);
      if (!entry) this.log.error({ agent: name }, "skipping an unreadable entry of an agent's history");
      return entry ? [entry] : [];
    });
  }

  /**
   * After the registry's own write, in a key of its own slot: a writer that stops between the two
   * leaves the change made and unrecorded, never recorded and not made.
   */
  private async record(spec: AgentSpec, change: AgentHistoryEntry["change"], by: Change): Promise<void> {
    const print = fingerprint(spec);
    const entry = { by: by.by, at: new Date().toISOString(), ...(by.restoredFrom ? { restoredFrom: by.restoredFrom } : {}), spec, fingerprint: print };
    await (this.redis as unknown as HistoryCommand).sbAgentHistory(this.keys.agentHistory(spec.name), JSON.stringify(entry), print, AGENT_HISTORY_LIMIT, change);
  }

  async tools(): Promise<ToolSummary[]> {
    const entries = await this.redis.hgetall(this.keys.tools());
    return Object.values(entries).flatMap((raw) => {
      const tool = parseStored(ToolSummary, raw);
      return tool ? [tool] : [];
    });
  }

  async publishTools(tools: ToolSummary[]): Promise<void> {
    if (tools.length === 0) return;
    await this.redis.hset(this.keys.tools(), Object.fromEntries(tools.map((tool) => [tool.name, JSON.stringify(tool)])));
  }

  /** Withdraws tools no agents process offers any more (an MCP server removed). */
  async removeTools(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.redis.hdel(this.keys.tools(), ...names);
  }

  /**
   * Two single-key commands, not a transaction (the version key and the channel hash to different
   * slots): a writer that stops between them leaves a bumped version unannounced, which the
   * agents processes' periodic re-read picks up.
   */
  private async announce(agents: string[], change: RegistryChange["change"]): Promise<void> {
    const version = await this.redis.incr(this.keys.agentsVersion());
    const announced: RegistryChange = { agents, change, version };
    await this.redis.spublish(this.keys.agentsChanged(), JSON.stringify(announced));
  }
}

/** What makes two definitions the same agent, whoever saved them and when. */
function fingerprint(spec: AgentSpec): string {
  const { v: _v, source: _source, origin: _origin, updatedAt: _updatedAt, ...fields } = spec;
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))));
  return createHash("sha256").update(canonical).digest("hex").slice(0, 32);
}

function stamp(input: AgentSpecFields, source: AgentSource, origin: string | undefined): AgentSpec {
  return AgentSpec.parse({ ...input, v: AGENT_SPEC_VERSION, source, ...(origin ? { origin } : {}), updatedAt: new Date().toISOString() });
}

function parseStored<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, raw: string): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
