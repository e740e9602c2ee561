import { startAgents, type RunningAgents } from "../agents/agents-process.js";
import { builtInAgents } from "../agents/team/built-in-team.js";
import type { Logger } from "../platform/logger.js";
import type { Config } from "../shared/config.js";

/** The agents process as configured: the built-in team, the specialists folder and the catalog. */
export async function startConfiguredAgents(config: Config, redisUrl: string, log: Logger): Promise<RunningAgents> {
  return startAgents({
    config,
    redisUrl,
    log,
    agents: await builtInAgents(),
    catalogDir: config.catalogDir,
    specialistsDir: config.specialistsDir,
  });
}
