import { A2A_VERSION_HEADER, AgentCard } from "@a2a-js/sdk";
import { legacyAgentCardRouter } from "@a2a-js/sdk/compat/v0_3/server/express";
import type { TaskStore } from "@a2a-js/sdk/server";
import { jsonRpcHandler } from "@a2a-js/sdk/server/express";
import { Router, type Request } from "express";
import type { Conversations } from "../../platform/conversations.js";
import type { Logger } from "../../platform/logger.js";
import type { AgentSpec } from "../../shared/agent-spec.js";
import { SwitchboardError } from "../../shared/errors.js";
import type { WorkflowSummary } from "../../shared/workflow.js";
import { requireBearer, type Identity } from "../auth.js";
import type { MessageIntake } from "../message-intake.js";
import type { RateLimits } from "../rate-limits.js";
import { SAFE_HOST } from "../security-headers.js";
import type { TurnControl } from "../turn-control.js";
import { A2A_PATH, AGENT_CARD_PATH, teamCard, teamSkills } from "./agent-card.js";
import { A2ACaller } from "./caller.js";
import type { TeamExecutor } from "./team-executor.js";
import { TeamRequestHandler } from "./team-request-handler.js";

export interface A2ADeps {
  authenticate: (token: string | undefined) => Identity | undefined;
  limits: RateLimits;
  executor: TeamExecutor;
  tasks: TaskStore;
  conversations: Conversations;
  intake: MessageIntake;
  turns: TurnControl;
  agents: { list(): Promise<AgentSpec[]>; version(): Promise<number> };
  workflows: { list(): Promise<WorkflowSummary[]> };
  maxMessageChars: number;
  log: Logger;
}

/**
 * The server's own address as the client reached it: the Host header (refused unless it is a
 * plain host and port, as the CSP takes it), over https when a TLS proxy in front says so.
 */
function baseUrl(request: Request): string {
  const host = request.headers.host ?? "";
  if (!SAFE_HOST.test(host)) throw new SwitchboardError("bad_request", "The Host header must be a host name or address, with an optional port.");
  const https = request.secure || request.headers["x-forwarded-proto"] === "https";
  return `${https ? "https" : "http"}://${host}`;
}

/**
 * Switchboard as an A2A agent (A2A 1.0, and 0.3 through the official SDK's compat layer): the card
 * at the well-known path, public, built per request (the team changes at run time; the endpoint's
 * URL is the one the client used), and the JSON-RPC endpoint at /a2a behind the REST API's bearer
 * token.
 */
export function a2aRoutes(deps: A2ADeps): Router {
  const router = Router();
  const handler = new TeamRequestHandler({
    // The handler reads only the card's interfaces and capabilities; the one clients get is built per request.
    card: teamCard("", [], "0"),
    tasks: deps.tasks,
    executor: deps.executor,
    conversations: deps.conversations,
    intake: deps.intake,
    turns: deps.turns,
    limits: deps.limits,
    maxMessageChars: deps.maxMessageChars,
    log: deps.log,
  });

  // Mounted on the path, so the SDK's card router below sees it as its root.
  router.use(AGENT_CARD_PATH, async (request, response, next) => {
    if (request.method !== "GET" && request.method !== "HEAD") return next();
    const [agents, workflows, version] = await Promise.all([deps.agents.list(), deps.workflows.list(), deps.agents.version()]);
    const card = teamCard(baseUrl(request), teamSkills(agents, workflows), String(version));
    // A v0.3 client (its A2A-Version, or none: the SDK's default) gets the v0.3 card from the SDK's compat layer.
    if ((request.header(A2A_VERSION_HEADER) ?? "0.3").startsWith("0.")) {
      return legacyAgentCardRouter({ agentCardProvider: async () => card, cache: { maxAge: 0 } })(request, response, next);
    }
    response.setHeader("Cache-Control", "no-cache");
    response.append("Vary", A2A_VERSION_HEADER);
    response.json(AgentCard.toJSON(card));
  });

  router.use(
    A2A_PATH,
    requireBearer(deps.authenticate, deps.limits),
    jsonRpcHandler({
      requestHandler: handler,
      // v0.3 clients (`message/send`, `message/stream`, `tasks/get`, `tasks/cancel`) are served through the SDK's compat layer.
      legacyCompat: { enabled: true },
      userBuilder: async (request) => {
        const locals = request.res?.locals;
        if (!locals?.identity) throw new Error("the A2A endpoint was reached without the bearer check");
        return new A2ACaller(locals.identity, locals.address);
      },
    }),
  );
  // Not the page: a GET (or any method but POST) of the endpoint says how to use it.
  router.all(A2A_PATH, (_request, response) => {
    response
      .status(405)
      .setHeader("Allow", "POST")
      // -32600: JSON-RPC 2.0 Invalid Request.
      .json({ jsonrpc: "2.0", error: { code: -32600, message: "Send A2A JSON-RPC requests to this endpoint as a POST." }, id: null });
  });
  return router;
}
