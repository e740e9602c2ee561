import { createHmac, timingSafeEqual } from "node:crypto";
import type { Queue } from "bullmq";
import { Router, type Express, type Request, type RequestHandler } from "express";
import { SwitchboardError } from "../shared/errors.js";
import type { Identity } from "./auth.js";
import type { RateLimits } from "./rate-limits.js";

/** Where the BullMQ dashboard is served. */
export const DASHBOARD_PATH = "/admin/queues";
const COOKIE = "sb_queues";
/** A dashboard session lasts this long; then the admin opens it with the token again. */
const SESSION_SECONDS = 12 * 3600;
/** The queue list is read from the registry at most this often. */
const REFRESH_MS = 1000;

export interface QueueDashboardDeps {
  /** The admin token: it signs the session cookie, so every server instance accepts it. */
  adminToken: string;
  authenticate: (token: string | undefined) => Identity | undefined;
  limits: RateLimits;
  /**
   * Every queue to show, each under a name of its own: one per agent in the registry and the
   * workflows queue (on each shard's BullMQ prefix when there are several).
   */
  queues: () => Promise<{ name: string; queue: Queue }[]>;
}

/**
 * bull-board at /admin/queues, for the admin only, read-only: every agent's queue and the
 * workflows queue, each job with its data, state, attempts and the worker that ran it
 * (`processedBy`: `<host>:<pid>`). The list follows the registry, so an agent added at run time
 * shows on the next request.
 *
 * A browser cannot send a header with a page request, so the admin opens
 * `/admin/queues?token=<admin token>` once: the server answers with a session cookie (HttpOnly,
 * SameSite=Strict, Path=/admin/queues, 12 hours, an HMAC keyed by the admin token, never the token
 * itself) and sends the browser on to the same page without the token in its address. Scripts use
 * `Authorization: Bearer <admin token>`. See docs/security.md.
 */
export function queueDashboard(deps: QueueDashboardDeps): Router {
  // bull-board (and its UI's Express app) loads on the first request the admin makes, not at start.
  let board: Promise<RequestHandler> | undefined;
  const router = Router();
  router.use(dashboardAuth(deps));
  router.use(async (request, response, next) => {
    const handle = await (board ??= loadBoard(deps).catch((error: unknown) => {
      board = undefined;
      throw error;
    }));
    handle(request, response, next);
  });
  return router;
}

/** The bull-board app; before each request it shows the registry's queues (read at most once a second). */
async function loadBoard(deps: QueueDashboardDeps): Promise<RequestHandler> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import("@bull-board/api"),
    import("@bull-board/api/bullMQAdapter"),
    import("@bull-board/express"),
  ]);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: { uiConfig: { boardTitle: "Switchboard queues", hideDocsLink: true } },
  });

  let shown = "";
  let refreshedAt = 0;
  let refreshing: Promise<void> | undefined;
  const refresh = async () => {
    if (Date.now() - refreshedAt < REFRESH_MS) return;
    refreshing ??= (async () => {
      const queues = (await deps.queues()).sort((a, b) => a.name.localeCompare(b.name));
      const key = queues.map((entry) => entry.name).join("\n");
      if (key !== shown) {
        // Read-only: runs keep their own state in Redis; pausing, emptying or removing jobs by hand
        // could strand a conversation, and the API changes the team. `prefix` keeps each name unique.
        board.replaceQueues(
          queues.map(({ name, queue }) => new BullMQAdapter(queue, { readOnlyMode: true, prefix: name.slice(0, name.length - queue.name.length) })),
        );
        shown = key;
      }
      refreshedAt = Date.now();
    })().finally(() => {
      refreshing = undefined;
    });
    await refreshing;
  };

  const boardApp = serverAdapter.getRouter() as Express;
  // bull-board's own Express app would add X-Powered-By, which the server never sends.
  boardApp.disable("x-powered-by");
  return async (request, response, next) => {
    await refresh();
    boardApp(request, response, next);
  };
}

function sign(adminToken: string, expires: number): string {
  return createHmac("sha256", adminToken).update(`switchboard:admin-queues:${expires}`).digest("base64url");
}

/** The session cookie's value: when it expires, and its signature. */
function sessionValue(adminToken: string, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  return `${expires}.${sign(adminToken, expires)}`;
}

function validSession(adminToken: string, request: Request): boolean {
  const value = readCookie(request.headers.cookie, COOKIE);
  const [expiresText = "", signature = ""] = (value ?? "").split(".");
  const expires = Number(expiresText);
  if (!value || !Number.isInteger(expires) || expires * 1000 <= Date.now()) return false;
  const expected = Buffer.from(sign(adminToken, expires));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/**
 * The admin's token as a bearer header, or once in `?token=` (which becomes the session cookie),
 * or the session cookie. Refused tokens count towards the address's login failures, as on /api.
 */
function dashboardAuth(deps: QueueDashboardDeps): RequestHandler {
  return async (request, response, next) => {
    const bearer = request.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    const fromQuery = typeof request.query.token === "string" ? request.query.token : undefined;
    const presented = bearer ?? fromQuery;
    if (presented === undefined) {
      if (validSession(deps.adminToken, request)) return next();
      throw new SwitchboardError(
        "missing_token",
        `Open ${DASHBOARD_PATH}?token=<admin token> in the browser, or send 'Authorization: Bearer <admin token>'.`,
      );
    }
    const address = deps.limits.addressOf(request);
    await deps.limits.assertLoginAllowed(address);
    const identity = deps.authenticate(presented);
    if (!identity) {
      await deps.limits.loginFailed(address);
      throw new SwitchboardError("invalid_token", "The access token is not valid.");
    }
    if (!identity.admin) throw new SwitchboardError("forbidden", "Only the admin token may open the queue dashboard.");
    if (bearer !== undefined || fromQuery === undefined) return next();
    // A browser with the token in the address: a session cookie instead, and the address without it.
    response.cookie(COOKIE, sessionValue(deps.adminToken), {
      httpOnly: true,
      sameSite: "strict",
      path: DASHBOARD_PATH,
      maxAge: SESSION_SECONDS * 1000,
      // Behind a TLS proxy the cookie is kept to HTTPS (a forged header only makes it stricter).
      secure: request.secure || request.headers["x-forwarded-proto"] === "https",
    });
    const target = new URL(request.originalUrl, "http://switchboard.invalid");
    target.searchParams.delete("token");
    response.setHeader("Cache-Control", "no-store");
    response.redirect(303, `${target.pathname}${target.search}`);
  };
}
