import type { Keys } from "../shared/keys.js";
import { WorkflowSummary } from "../shared/workflow.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";

/**
 * The workflows every process knows of, in Redis: the agents processes write what they can run
 * (summaries: description, input schema, graph, budget; never code), servers read it. Catalog
 * sources are kept by version hash, so a run pinned to a version finishes on its own definition
 * after the file changes.
 */
export class WorkflowRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly log?: Logger,
  ) {}

  /** Every readable summary; an entry that does not parse is logged and skipped. */
  async list(): Promise<WorkflowSummary[]> {
    const entries = await this.redis.hgetall(this.keys.workflows());
    return Object.entries(entries).flatMap(([name, raw]) => {
      const summary = parseSummary(raw);
      if (!summary) this.log?.error({ workflow: name }, "skipping an unreadable workflow in the registry");
      return summary ? [summary] : [];
    });
  }

  async get(name: string): Promise<WorkflowSummary | undefined> {
    const raw = await this.redis.hget(this.keys.workflows(), name);
    if (raw === null) return undefined;
    const summary = parseSummary(raw);
    if (!summary) this.log?.error({ workflow: name }, "the workflow's registry entry is unreadable");
    return summary;
  }

  /** Writes several summaries in one command, replacing those with the same names. */
  async putAll(summaries: WorkflowSummary[]): Promise<void> {
    if (summaries.length === 0) return;
    const checked = summaries.map((summary) => WorkflowSummary.parse(summary));
    await this.redis.hset(this.keys.workflows(), Object.fromEntries(checked.map((s) => [s.name, JSON.stringify(s)])));
  }

  async remove(names: string[]): Promise<void> {
    if (names.length > 0) await this.redis.hdel(this.keys.workflows(), ...names);
  }

  /** Keeps a definition's source under its version hash (the same version always has the same source). */
  async saveSource(version: string, source: unknown): Promise<void> {
    await this.redis.hset(this.keys.workflowSources(), version, JSON.stringify(source));
  }

  async source(version: string): Promise<unknown | undefined> {
    const raw = await this.redis.hget(this.keys.workflowSources(), version);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      this.log?.error({ version }, "a stored workflow source is not JSON");
      return undefined;
    }
  }
}

function parseSummary(raw: string): WorkflowSummary | undefined {
  try {
    const parsed = WorkflowSummary.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
