import { Router } from "express";
import { z } from "zod";
import type { Queues } from "../../platform/queues.js";
import type { AgentRegistry } from "../../platform/agent-registry.js";
import type { McpServerStore } from "../../platform/mcp-servers.js";
import { AgentName, MANAGER } from "../../shared/agent-name.js";
import { AgentSpecInput, referenceProblems, type AgentSpec } from "../../shared/agent-spec.js";
import type { AgentView } from "../../shared/api.js";
import { SwitchboardError } from "../../shared/errors.js";
import { parseInput } from "../http-error.js";
import type { RateLimits } from "../rate-limits.js";

const RestoreInput = z.object({ n: z.number().int().positive() }).strict();

/** The team through the API: anyone may read it; only the admin may change it. */
export function agentRoutes(deps: {
  registry: AgentRegistry;
  queues: Queues;
  defaultModel: string;
  limits: RateLimits;
  /** Where the MCP servers are known, so a spec may name `<server>_*`. */
  mcpServers?: McpServerStore;
}): Router {
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
    const [agents, tools, mcpServers] = await Promise.all([deps.registry.list(), deps.registry.tools(), mcpServerNames(deps.mcpServers)]);
    const problems = referenceProblems(spec, { agents: agents.map((a) => a.name), tools: tools.map((t) => t.name), mcpServers });
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
    const created = await deps.registry.create(spec, "api", { by: response.locals.identity.user });
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
    // A remote agent's link comes from its catalog file only: a change through the API keeps it.
    const saved = current.remote ? { ...spec, remote: current.remote } : spec;
    response.json(await view(await deps.registry.put(saved, "api", { by: response.locals.identity.user })));
  });

  router.delete("/agents/:name", async (request, response) => {
    requireAdmin(response.locals.identity.admin);
    const current = await existing(request.params.name);
    if (current.name === MANAGER) throw new SwitchboardError("protected", "The manager cannot be deleted: every message reaches it first.");
    await countChange(response.locals);
    await deps.registry.delete(current.name, { by: response.locals.identity.user });
    response.status(204).end();
  });

  router.get("/agents/:name/history", async (request, response) => {
    const name = request.params.name;
    const history = AgentName.safeParse(name).success ? await deps.registry.history(name) : [];
    if (history.length === 0) throw new SwitchboardError("unknown_agent", `No agent named "${name}" has a history.`);
    response.json({ history });
  });

  /**
   * Saves an earlier definition again, as a new one (the history keeps every step). Checked like
   * any change: what it names must still exist. Brings back a deleted agent too.
   */
  router.post("/agents/:name/restore", async (request, response) => {
    requireAdmin(response.locals.identity.admin);
    const name = request.params.name;
    const { n } = parseInput(RestoreInput, request.body ?? {}, "invalid_agent");
    const history = AgentName.safeParse(name).success ? await deps.registry.history(name) : [];
    if (history.length === 0) throw new SwitchboardError("unknown_agent", `No agent named "${name}" has a history.`);
    const entry = history.find((candidate) => candidate.n === n);
    if (!entry) throw new SwitchboardError("invalid_agent", `n: agent "${name}" has no definition ${n} (kept: ${history.map((e) => e.n).join(", ")}).`);
    if (entry.change === "deleted") throw new SwitchboardError("invalid_agent", `n: definition ${n} records the agent's deletion; restore the one before it.`);
    const { v: _v, source: _source, origin: _origin, updatedAt: _updatedAt, remote, ...fields } = entry.spec;
    // A remote agent's link was written by its catalog file, not sent through the API: it comes back as it was.
    const spec = { ...(await validated(fields)), ...(remote ? { remote } : {}) };
    const change = { by: response.locals.identity.user, restoredFrom: n };
    await countChange(response.locals);
    const current = await deps.registry.get(name);
    if (current) {
      response.json(await view(await deps.registry.put(spec, "api", change)));
      return;
    }
    const created = await deps.registry.create(spec, "api", change);
    if (!created) throw new SwitchboardError("agent_exists", `An agent named "${name}" was created meanwhile; restore again to replace it.`);
    response.status(201).json(await view(created));
  });

  router.get("/tools", async (_request, response) => {
    response.json({ tools: (await deps.registry.tools()).sort((a, b) => a.name.localeCompare(b.name)) });
  });

  return router;
}

/** Every MCP server known: reported by an agents process (the catalog's among them) or added through the API. */
async function mcpServerNames(store: McpServerStore | undefined): Promise<string[]> {
  if (!store) return [];
  const [states, stored] = await Promise.all([store.states(), store.list()]);
  return [...new Set([...states.map((state) => state.name), ...stored.map((server) => server.name)])];
}
