import { Router } from "express";
import type { McpServerStore } from "../../platform/mcp-servers.js";
import { SwitchboardError } from "../../shared/errors.js";
import { McpHttpServerInput, McpServerName, type McpServerView } from "../../shared/mcp.js";
import { parseInput } from "../http-error.js";
import type { RateLimits } from "../rate-limits.js";

/**
 * The MCP servers whose tools agents use. Anyone may list them; only the admin may add or remove
 * one, and only a streamable-HTTP one: a stdio server runs a command on the agents' machines, so it
 * comes only from catalog files that whoever runs them controls. Header values are stored (they are
 * the server's credentials) and never sent back: a listing names the headers, not their values.
 */
export function mcpServerRoutes(deps: { store: McpServerStore; limits: RateLimits }): Router {
  const router = Router();

  const requireAdmin = (admin: boolean) => {
    if (!admin) throw new SwitchboardError("forbidden", "Only the admin token may add or remove MCP servers.");
  };

  const list = async (): Promise<McpServerView[]> => {
    const [stored, states] = await Promise.all([deps.store.list(), deps.store.states()]);
    const views = new Map<string, McpServerView>();
    for (const status of states) {
      const { v: _v, reportedBy: _by, ...view } = status;
      views.set(status.name, view);
    }
    for (const server of stored) {
      const reported = views.get(server.name);
      // A catalog server of that name wins in the agents processes: the added one is not used.
      if (reported?.source === "catalog") continue;
      views.set(server.name, {
        ...(reported ?? { state: "unknown", tools: [], connections: 0 }),
        name: server.name,
        transport: "http",
        source: "api",
        target: server.url,
        headers: Object.keys(server.headers),
        addedBy: server.addedBy,
      });
    }
    return [...views.values()].sort((a, b) => a.name.localeCompare(b.name));
  };

  router.get("/mcp-servers", async (_request, response) => {
    response.json({ servers: await list() });
  });

  router.post("/mcp-servers", async (request, response) => {
    requireAdmin(response.locals.identity.admin);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body === "object" && ("command" in body || "args" in body || "env" in body)) {
      throw new SwitchboardError("invalid_mcp_server", "Only streamable-HTTP servers (name, url, headers) can be added here; a stdio server is declared in a catalog file.");
    }
    const input = parseInput(McpHttpServerInput, body, "invalid_mcp_server");
    const exists = () => new SwitchboardError("mcp_server_exists", `An MCP server named "${input.name}" already exists.`);
    if ((await list()).some((server) => server.name === input.name)) throw exists();
    await deps.limits.consume("agentChanges", { user: response.locals.identity.user, address: response.locals.address });
    const added = await deps.store.add(input, response.locals.identity.user);
    if (!added) throw exists();
    const view = (await list()).find((server) => server.name === input.name);
    response.status(201).json(view);
  });

  router.delete("/mcp-servers/:name", async (request, response) => {
    requireAdmin(response.locals.identity.admin);
    const name = request.params.name;
    const known = McpServerName.safeParse(name).success ? (await list()).find((server) => server.name === name) : undefined;
    if (!known) throw new SwitchboardError("unknown_mcp_server", `No MCP server named "${name}".`);
    if (known.source === "catalog") throw new SwitchboardError("protected", `The MCP server "${name}" comes from a catalog file; remove it there.`);
    await deps.limits.consume("agentChanges", { user: response.locals.identity.user, address: response.locals.address });
    await deps.store.remove(name);
    response.status(204).end();
  });

  return router;
}
