import { existsSync } from "node:fs";
import path from "node:path";
import express, { type Express } from "express";
import type { Logger } from "../platform/logger.js";
import { SwitchboardError } from "../shared/errors.js";
import { a2aRoutes, type A2ADeps } from "./a2a/a2a-routes.js";
import { requireBearer, type Identity } from "./auth.js";
import { errorHandler } from "./http-error.js";
import { mcpEndpoint } from "./mcp/endpoint.js";
import { operationsRoutes, type OperationsDeps } from "./operations.js";
import { DASHBOARD_PATH, queueDashboard, type QueueDashboardDeps } from "./queue-dashboard.js";
import type { RateLimits } from "./rate-limits.js";
import { agentRoutes } from "./routes/agents.js";
import { approvalRoutes } from "./routes/approvals.js";
import { mcpServerRoutes } from "./routes/mcp-servers.js";
import { conversationEventsStreamRoutes } from "./routes/conversation-events-stream.js";
import { conversationRoutes } from "./routes/conversations.js";
import { workflowRoutes } from "./routes/workflows.js";
import { securityHeaders } from "./security-headers.js";

export interface AppDeps {
  log: Logger;
  authenticate: (token: string | undefined) => Identity | undefined;
  /** Login failures per address, and the per-token, per-address limits of the routes that change things. */
  limits: RateLimits;
  conversations: Omit<Parameters<typeof conversationRoutes>[0], "limits">;
  agents: Omit<Parameters<typeof agentRoutes>[0], "limits">;
  workflows: Omit<Parameters<typeof workflowRoutes>[0], "limits">;
  approvals: Parameters<typeof approvalRoutes>[0];
  /** The MCP servers whose tools agents use (`/api/mcp-servers`). */
  mcpServers: Omit<Parameters<typeof mcpServerRoutes>[0], "limits">;
  /** Health, readiness and metrics (authentication and limits are the app's). */
  operations: Omit<OperationsDeps, "authenticate" | "limits">;
  /** The BullMQ dashboard at /admin/queues. */
  queueDashboard: Omit<QueueDashboardDeps, "authenticate" | "limits">;
  /** Switchboard as an MCP server at /mcp (authentication and limits are the app's). */
  mcp: Omit<Parameters<typeof mcpEndpoint>[0], "authenticate" | "limits" | "log">;
  /** Switchboard as an A2A agent: its card and JSON-RPC endpoint (authentication and limits are the app's). */
  a2a: Omit<A2ADeps, "authenticate" | "limits">;
  /** Folder of the built browser client; served at / when it exists. */
  clientDir?: string;
}

/**
 * The HTTP application: REST API under /api, health and readiness (/api/health, /api/ready),
 * Prometheus metrics (/metrics), the admin's queue dashboard (/admin/queues), the MCP endpoint (/mcp),
 * the browser client at /.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  const headers = securityHeaders();
  const dashboardHeaders = securityHeaders("queue-dashboard");
  app.use((request, response, next) => {
    const dashboard = request.path === DASHBOARD_PATH || request.path.startsWith(`${DASHBOARD_PATH}/`);
    (dashboard ? dashboardHeaders : headers)(request, response, next);
  });
  app.use(DASHBOARD_PATH, queueDashboard({ ...deps.queueDashboard, authenticate: deps.authenticate, limits: deps.limits }));
  // Before the JSON body parser: the A2A SDK reads its own bodies and answers unreadable ones in JSON-RPC.
  app.use(a2aRoutes({ ...deps.a2a, authenticate: deps.authenticate, limits: deps.limits }));
  app.use(express.json({ limit: "256kb" }));

  app.use(operationsRoutes({ ...deps.operations, authenticate: deps.authenticate, limits: deps.limits }));

  const api = express.Router();
  api.use(requireBearer(deps.authenticate, deps.limits));
  // Bodies are read as JSON only: one sent as anything else is refused, not silently ignored.
  api.use((request, _response, next) => {
    const hasBody = Number(request.headers["content-length"] ?? 0) > 0 || request.headers["transfer-encoding"] !== undefined;
    if (hasBody && !request.is("application/json")) {
      return next(new SwitchboardError("bad_request", "The request body must be JSON, sent with Content-Type: application/json."));
    }
    next();
  });
  api.get("/me", (_request, response) => {
    response.json(response.locals.identity);
  });
  api.use(conversationRoutes({ ...deps.conversations, limits: deps.limits }));
  api.use(conversationEventsStreamRoutes(deps.conversations));
  api.use(agentRoutes({ ...deps.agents, limits: deps.limits }));
  api.use(workflowRoutes({ ...deps.workflows, limits: deps.limits }));
  api.use(approvalRoutes(deps.approvals));
  api.use(mcpServerRoutes({ ...deps.mcpServers, limits: deps.limits }));
  app.use("/api", api);
  app.use("/mcp", mcpEndpoint({ ...deps.mcp, authenticate: deps.authenticate, limits: deps.limits, log: deps.log }));
  app.use("/api", (request, _response, next) => next(new SwitchboardError("not_found", `No API route ${request.method} ${request.path}.`)));

  const clientDir = deps.clientDir;
  if (clientDir && existsSync(path.join(clientDir, "index.html"))) {
    // Hashed assets are immutable; the page itself is revalidated so a rebuild shows at once.
    app.use("/assets", express.static(path.join(clientDir, "assets"), { immutable: true, maxAge: "1y" }));
    app.use(express.static(clientDir, { index: "index.html", setHeaders: (response) => response.setHeader("Cache-Control", "no-cache") }));
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_request, response) => {
      response.setHeader("Cache-Control", "no-cache");
      response.sendFile(path.join(clientDir, "index.html"));
    });
  } else {
    app.get("/", (_request, response) => {
      response
        .type("text/plain")
        .send("Switchboard is running. The browser client is not built yet (npm run build); the REST API is under /api.\n");
    });
  }

  app.use(errorHandler(deps.log));
  return app;
}
