import { Router } from "express";
import type { Queues } from "../../platform/queues.js";
import type { AgentRegistry } from "../../platform/agent-registry.js";
import { AgentName, MANAGER } from "../../shared/agent-name.js";
import { AgentSpecInput, referenceProblems, type AgentSpec } from "../../shared/agent-spec.js";
import type { AgentView } from "../../shared/api.js";
import { SwitchboardError } from "../../shared/errors.js";
import { parseInput } from "../http-error.js";
import type { RateLimits } from "../rate-limits.js";

/** The team through the API: anyone may read it; only the admin may change it. */
export function agentRoutes(deps: { registry: AgentRegistry; queues: Queues; defaultModel: string; limits: RateLimits }): Router {
  const router = Router();

  const view = async (spec: AgentSpec): Promise<AgentView> => ({
    ...spec,
    model: spec.model ?? deps.defaultModel,
    status: await deps.queues.status(spec.name),
  });

  const requireAdmin = (admin: boolean) => {
    if (!admin) throw new SwitchboardError("forbidden", "Only the admin token may change the team.");
  };

  /** Counted once a change has passed its checks, just before it is made. */
  const countChange = (locals: { identity: { user: string }; address: string }) =>
    deps.limits.consume("agentChanges", { user: locals.identity.user, address: locals.address });

  const existing = async (name: string | undefined) => {
    const spec = AgentName.safeParse(name).success ? await deps.registry.get(name as string) : undefined;
    if (!spec) throw new SwitchboardError("unknown_agent", `No agent named "${name}".`);
    return spec;
  };

  /** Schema check, then what the spec names must exist: tools offered by agents processes, agents of the team. */
  const validated = async (body: unknown) => {
    const spec = parseInput(AgentSpecInput, body ?? {}, "invalid_agent");
    const [agents, tools] = await Promise.all([deps.registry.list(), deps.registry.tools()]);
    const problems = referenceProblems(spec, { agents: agents.map((a) => a.name), tools: tools.map((t) => t.name) });
    if (problems.length > 0) throw new SwitchboardError("invalid_agent", problems.join("\n"));
    return spec;
  };

  router.get("/agents", async (_request, response) => {
    const specs = (await deps.registry.list()).sort((a, b) =>
      a.name === MANAGER ? -1 : b.name === MANAGER ? 1 : a.name.localeCompare(b.name),
    );
    response.json({ agents: await Promise.all(specs.map(view)) });
  });

  router.get("/agents/:name", async (request, response) => {
    response.json(await view(await existing(request.params.name)));
  });

  router.post("/agents", async (request, response) => {
    requireAdmin(response.locals.identity.admin);
    const spec = await validated(request.body);
    const exists = () => new SwitchboardError("agent_exists", `An agent named "${spec.name}" already exists; use PUT /api/agents/${spec.name} to change it.`);
    // Refused before it is counted; `create` still refuses one made meanwhile by someone else.
    if (await deps.registry.get(spec.name)) throw exists();
    await countChange(response.locals);
    const created = await deps.registry.create(spec, "api");
    if (!created) throw exists();
    response.status(201).json(await view(created));
  });

  router.put("/agents/:name", async (request, response) => {
    requireAdmin(response.locals.identity.admin);
    const current = await existing(request.params.name);
    const spec = await validated({ ...(request.body as object), name: (request.body as { name?: unknown })?.name ?? current.name });
    if (spec.name !== current.name) throw new SwitchboardError("invalid_agent", "name: an agent cannot be renamed; create a new one instead.");
    if (spec.name === MANAGER && !spec.enabled) throw new SwitchboardError("protected", "The manager cannot be disabled: every message reaches it first.");
    await countChange(response.locals);
    response.json(await view(await deps.registry.put(spec, "api")));
  });

  router.delete("/agents/:name", async (request, response) => {
    requireAdmin(response.locals.identity.admin);
    const current = await existing(request.params.name);
    if (current.name === MANAGER) throw new SwitchboardError("protected", "The manager cannot be deleted: every message reaches it first.");
    await countChange(response.locals);
    await deps.registry.delete(current.name);
    response.status(204).end();
  });

  router.get("/tools", async (_request, response) => {
    response.json({ tools: (await deps.registry.tools()).sort((a, b) => a.name.localeCompare(b.name)) });
  });

  return router;
}
