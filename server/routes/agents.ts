import { Router } from "express";
import type { Redis } from "ioredis";
import { AgentSummary } from "../../shared/api.js";
import type { Keys } from "../../shared/keys.js";
import { HttpError } from "../http-error.js";

/** Reads the team as the agents processes published it. */
export async function readTeam(redis: Redis, keys: Keys): Promise<AgentSummary[]> {
  const entries = await redis.hgetall(keys.agents());
  return Object.values(entries)
    .flatMap((raw) => {
      const parsed = AgentSummary.safeParse(JSON.parse(raw));
      return parsed.success ? [parsed.data] : [];
    })
    .sort((a, b) => (a.name === "manager" ? -1 : b.name === "manager" ? 1 : a.name.localeCompare(b.name)));
}

export function agentRoutes(deps: { redis: Redis; keys: Keys }): Router {
  const router = Router();
  router.get("/agents", async (_request, response) => {
    response.json({ agents: await readTeam(deps.redis, deps.keys) });
  });
  router.get("/agents/:name", async (request, response) => {
    const agent = (await readTeam(deps.redis, deps.keys)).find((candidate) => candidate.name === request.params.name);
    if (!agent) throw new HttpError(404, "unknown_agent", `No agent named "${request.params.name}".`);
    response.json(agent);
  });
  return router;
}
