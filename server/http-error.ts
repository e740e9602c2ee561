import type { ErrorRequestHandler } from "express";
import { z } from "zod";
import type { Logger } from "../platform/logger.js";
import { type CodeWithStatus, RateLimitedError, SwitchboardError } from "../shared/errors.js";

/** Validates input at the edge; a mismatch is a 400 whose message names each field at fault. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, code: CodeWithStatus<400> = "invalid_request"): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SwitchboardError(code, z.prettifyError(parsed.error));
  return parsed.data;
}

/**
 * The error as a client may be told it: its own when it is meant for the client; anything else is
 * logged here and becomes `unavailable`, so an internal message never reaches a response or an ack.
 */
export function clientFacing(error: unknown, log: Logger, what: string): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  log.error({ err: error }, what);
  return new SwitchboardError("unavailable", "The server could not complete the request; try again.");
}

/** What Express and its body parser throw for a request they could not read, as the client is told it. */
function unreadable(error: unknown): SwitchboardError | undefined {
  const status = (error as { status?: unknown }).status;
  const type = (error as { type?: unknown }).type;
  if (type === "entity.parse.failed") return new SwitchboardError("malformed_json", "The request body is not valid JSON.");
  if (type === "entity.too.large") return new SwitchboardError("payload_too_large", "The request body is too large.");
  if (typeof status === "number" && status >= 400 && status < 500) return new SwitchboardError("bad_request", "The request could not be read.");
  return undefined;
}

/** Maps every error to `{error: {code, message}}` beside the error's `extra`; internals are logged, never sent. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, _request, response, _next) => {
    const known = error instanceof SwitchboardError ? error : (unreadable(error) ?? clientFacing(error, log, "request failed"));
    if (known instanceof RateLimitedError) response.setHeader("Retry-After", String(known.retryAfterSeconds));
    // An unreadable request keeps the parser's status, which says more than 400 (415: a charset it does not read).
    const status = known.code === "bad_request" ? ((error as { status?: number }).status ?? known.status) : known.status;
    response.status(status).json({ ...known.extra, error: known.toBody() });
  };
}
