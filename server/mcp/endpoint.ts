import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, CancelledNotificationSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { Router } from "express";
import type { Logger } from "../../platform/logger.js";
import { requireBearer, type Identity } from "../auth.js";
import type { RateLimits } from "../rate-limits.js";
import type { CallRegistry } from "./call-registry.js";
import type { Caller, TeamTools } from "./team-tools.js";

/** The largest request body, as for the REST API (the app's JSON parser enforces it first). */
const MAX_BODY_BYTES = 256 * 1024;

const INSTRUCTIONS =
  "Switchboard's agent team. ask_team asks the team (a manager that hands work to specialists) and returns its answer with a conversationId to continue the conversation; each run_<workflow> tool runs one of the team's workflows on its input.";

/**
 * `/mcp`: Switchboard as an MCP server over streamable HTTP, stateless. Every POST gets a server
 * and transport of its own and nothing is kept between requests (no `Mcp-Session-Id`), so any
 * server process behind a balancer answers any request; what a call follows lives in Redis (the
 * conversation's log, and the CallRegistry for cancellations). A tool call's response is an SSE
 * stream that carries its progress notifications, then its result. There is no standalone GET
 * stream (nothing is pushed outside a call) and no session to DELETE: both are 405.
 */
export function mcpEndpoint(deps: {
  authenticate: (token: string | undefined) => Identity | undefined;
  limits: RateLimits;
  tools: TeamTools;
  calls: CallRegistry;
  log: Logger;
}): Router {
  const router = Router();
  const log = deps.log.child({ component: "mcp" });
  router.use(requireBearer(deps.authenticate, deps.limits));

  router.post("/", async (request, response) => {
    // JSON-RPC calls an empty batch an invalid request; the transport would take it as nothing to answer.
    if (Array.isArray(request.body) && request.body.length === 0) {
      response.status(400).json({ jsonrpc: "2.0", error: { code: ErrorCode.InvalidRequest, message: "Invalid Request: an empty batch." }, id: null });
      return;
    }
    const caller: Caller = { identity: response.locals.identity, address: response.locals.address };
    const server = mcpServer(deps.tools, deps.calls, caller, log);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: MAX_BODY_BYTES });
    // A client that drops the response stream has given up its calls: closing aborts their signals.
    response.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, request.is("application/json") ? request.body : undefined);
  });

  router.all("/", (_request, response) => {
    response
      .status(405)
      .setHeader("Allow", "POST")
      .json({ jsonrpc: "2.0", error: { code: ErrorCode.ConnectionClosed, message: "This MCP endpoint is stateless: send each message as a POST." }, id: null });
  });
  return router;
}

/** The MCP server of one request, acting for `caller`. */
function mcpServer(tools: TeamTools, calls: CallRegistry, caller: Caller, log: Logger): Server {
  const server = new Server({ name: "switchboard", title: "Switchboard", version: "0.1.0" }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await tools.list() }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const progressToken = extra._meta?.progressToken;
    let progress = 0;
    const result = await tools.call(request.params.name, request.params.arguments, caller, {
      requestId: extra.requestId,
      signal: extra.signal,
      progress: (message) => {
        if (progressToken === undefined || extra.signal.aborted) return;
        progress += 1;
        extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, message } }).catch((error: unknown) => {
          log.debug({ err: error }, "could not send a progress notification");
        });
      },
    });
    if (!result) throw new McpError(ErrorCode.InvalidParams, `No tool "${request.params.name}": tools/list names them.`);
    return result;
  });
  // The call being cancelled is followed by whichever process took its POST: found through Redis.
  server.setNotificationHandler(CancelledNotificationSchema, async (notification) => {
    const { requestId, reason } = notification.params;
    if (requestId === undefined) return;
    try {
      const target = await calls.find(caller.identity.user, requestId);
      if (target) await tools.stop(target, caller.identity.user, reason ? `Cancelled by the MCP client: ${reason}` : "The MCP client cancelled the call.");
    } catch (error) {
      log.warn({ err: error, requestId }, "could not act on an MCP cancellation");
    }
  });
  return server;
}
