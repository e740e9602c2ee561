import { AGENT_SPEC_VERSION, AgentSpec, ToolSummary, type AgentSource, type AgentSpecFields } from "../shared/agent-spec.js";
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
  ) {}

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
  async create(input: AgentSpecFields, source: AgentSource, origin?: string): Promise<AgentSpec | undefined> {
    const spec = stamp(input, source, origin);
    const created = await this.redis.hsetnx(this.keys.agents(), spec.name, JSON.stringify(spec));
    if (created === 0) return undefined;
    await this.announce([spec.name], "created");
    return spec;
  }

  /** Writes the agent whether or not it exists (code and catalog agents at start). */
  async put(input: AgentSpecFields, source: AgentSource, origin?: string): Promise<AgentSpec> {
    const spec = stamp(input, source, origin);
    await this.redis.hset(this.keys.agents(), spec.name, JSON.stringify(spec));
    await this.announce([spec.name], "updated");
    return spec;
  }

  /** Writes several agents at once, announced as one change (an agents process seeding its team). */
  async putAll(entries: { spec: AgentSpecFields; source: AgentSource; origin?: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const specs = entries.map(({ spec, source, origin }) => stamp(spec, source, origin));
    await this.redis.hset(this.keys.agents(), Object.fromEntries(specs.map((spec) => [spec.name, JSON.stringify(spec)])));
    await this.announce(specs.map((spec) => spec.name), "updated");
  }

  async delete(name: string): Promise<boolean> {
    const removed = await this.redis.hdel(this.keys.agents(), name);
    if (removed > 0) await this.announce([name], "deleted");
    return removed > 0;
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
