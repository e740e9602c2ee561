import { startAgents, type RunningAgents } from "../agents/agents-process.js";
import { builtInAgents } from "../agents/team/built-in-team.js";
import type { Logger } from "../platform/logger.js";
import type { RedisTarget } from "../platform/redis.js";
import type { Config } from "../shared/config.js";
import { shippedWorkflows, shippedWorkflowTools } from "../workflows/shipped.js";
import { hostWorkflows, loadWorkflows, withWorkflowsOnManager } from "../workflows/workflows-hosting.js";

/**
 * The agents process as configured: the built-in team, the specialists folder and the catalog, and
 * the workflows (shipped and from the catalog), which the manager may run as tools.
 */
export async function startConfiguredAgents(
  config: Config,
  redis: RedisTarget,
  log: Logger,
  options: { opsPort?: number | undefined } = {},
): Promise<RunningAgents> {
  const workflows = await loadWorkflows({ code: shippedWorkflows, tools: shippedWorkflowTools, catalogDir: config.catalogDir });
  const agents = await startAgents({
    config,
    redis,
    log,
    agents: withWorkflowsOnManager(await builtInAgents(), workflows),
    catalogDir: config.catalogDir,
    specialistsDir: config.specialistsDir,
    hosted: hostWorkflows(workflows),
    ...(options.opsPort !== undefined ? { opsPort: options.opsPort } : {}),
  });
  // mathjs (the calculator) and compromise (the writer, the offline model) load on first use, so the
  // process is ready without them; once it is, they load in the background, so a first turn seldom
  // waits. A failure here shows again, with its cause, at that first use.
  setImmediate(() => void Promise.all([import("mathjs"), import("compromise")]).catch(() => undefined));
  return agents;
}
