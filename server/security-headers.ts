import type { IncomingMessage, ServerResponse } from "node:http";
import helmet from "helmet";

/** A Host header safe to name in a CSP source: a host name or address and an optional port, nothing else. */
export const SAFE_HOST = /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;

/**
 * The page's own host over WebSocket (`ws:` and `wss:`), for Socket.IO: CSP Level 3 lets `'self'`
 * cover them, older browsers need them named.
 */
function sameOriginWebSockets(request: IncomingMessage, _response: ServerResponse): string {
  const host = request.headers.host ?? "";
  return SAFE_HOST.test(host) ? `ws://${host} wss://${host}` : "";
}

/**
 * Security headers on every response (helmet): a Content-Security-Policy the built client passes
 * (scripts, styles and fonts only from the server itself, no inline script, no plugins, images
 * from itself and `data:` for the icon, connections to itself and its WebSocket), no framing
 * anywhere (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), `nosniff`, `no-referrer`, and
 * helmet's cross-origin isolation headers. HSTS is left to whatever terminates TLS in front of
 * the server: the server itself speaks plain HTTP. Documented in docs/security.md.
 */
export function securityHeaders(page: "app" | "queue-dashboard" = "app") {
  // The queue dashboard (bull-board, /admin/queues only) adds styles at run time and in attributes:
  // there, and only there, inline styles are allowed. Scripts stay files from the server itself.
  const dashboard = page === "queue-dashboard";
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: dashboard ? ["'self'", "'unsafe-inline'"] : ["'self'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: dashboard ? ["'self'", "data:"] : ["'self'"],
        connectSrc: ["'self'", sameOriginWebSockets],
        objectSrc: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    strictTransportSecurity: false,
  });
}
