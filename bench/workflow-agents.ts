import { startAgents } from "../agents/agents-process.js";
import { builtInAgents } from "../agents/team/built-in-team.js";
import { loadConfiguration, onShutdown, run } from "../bin/bootstrap.js";
import { hostWorkflows, loadWorkflows, withWorkflowsOnManager } from "../workflows/workflows-hosting.js";
import { benchWorkflows } from "./workflows.js";

/** An agents process as bin/agents.ts starts it (built-in team), hosting the bench's workflows instead of the shipped ones. */
run(async () => {
  const { config, log } = loadConfiguration();
  if (!config.redisUrl) throw new Error("the bench gives this process REDIS_URL");
  const workflows = await loadWorkflows({ code: benchWorkflows(), tools: [] });
  const agents = await startAgents({
    config,
    redis: config.redisUrl,
    log,
    agents: withWorkflowsOnManager(await builtInAgents(), workflows),
    hosted: hostWorkflows(workflows),
  });
  onShutdown(log, () => agents.close());
});
