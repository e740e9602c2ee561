import type { ErrorRequestHandler } from "express";
import { z } from "zod";
import type { Logger } from "../platform/logger.js";

/**
 * An error meant for the client: status, stable code and a message a person can act on. `extra`
 * adds fields beside `error` in a REST body (a 409's current state); Socket.IO acks leave it out.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A 429: the body says what was limited and when to try again; REST adds `Retry-After` (seconds). */
export class RateLimitedError extends HttpError {
  constructor(
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(429, "rate_limited", message);
  }
}

/** Validates input at the edge; a mismatch is a 400 whose message names each field at fault. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, code = "invalid_request"): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, code, z.prettifyError(parsed.error));
  return parsed.data;
}

/** Maps every error to `{error: {code, message}}`; internals are logged, never sent. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, _request, response, _next) => {
    if (error instanceof HttpError) {
      if (error instanceof RateLimitedError) response.setHeader("Retry-After", String(error.retryAfterSeconds));
      response.status(error.status).json({ ...error.extra, error: { code: error.code, message: error.message } });
      return;
    }
    const status = (error as { status?: unknown }).status;
    const type = (error as { type?: unknown }).type;
    if (type === "entity.parse.failed") {
      response.status(400).json({ error: { code: "malformed_json", message: "The request body is not valid JSON." } });
      return;
    }
    if (type === "entity.too.large") {
      response.status(413).json({ error: { code: "payload_too_large", message: "The request body is too large." } });
      return;
    }
    if (typeof status === "number" && status >= 400 && status < 500) {
      response.status(status).json({ error: { code: "bad_request", message: "The request could not be read." } });
      return;
    }
    log.error({ err: error }, "request failed");
    response.status(503).json({ error: { code: "unavailable", message: "The server could not complete the request; try again." } });
  };
}
