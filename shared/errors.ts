import { z } from "zod";

/**
 * Every error code a Switchboard server sends, in REST bodies and Socket.IO acknowledgements alike.
 * Clients branch on them, so a code is never renamed or given another meaning; docs/api.md lists
 * the same union (a test holds the two together).
 */
export const ErrorCode = z.enum([
  "malformed_json",
  "bad_request",
  "invalid_request",
  "invalid_message",
  "invalid_query",
  "invalid_agent",
  "invalid_input",
  "invalid_decision",
  "invalid_mcp_server",
  "missing_token",
  "invalid_token",
  "forbidden",
  "protected",
  "not_found",
  "unknown_conversation",
  "unknown_agent",
  "unknown_workflow",
  "unknown_run",
  "unknown_approval",
  "unknown_message",
  "unknown_mcp_server",
  "agent_exists",
  "mcp_server_exists",
  "already_decided",
  "run_finished",
  "turn_running",
  "no_running_turn",
  "not_user_message",
  "agent_unavailable",
  "payload_too_large",
  "rate_limited",
  "invalid_workflow",
  "unavailable",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** Each code's HTTP status (REST answers with it; an ack carries the code alone) and what it means. */
export const ERRORS = {
  malformed_json: { status: 400, meaning: "the request body is not valid JSON" },
  bad_request: { status: 400, meaning: "the request could not be read at all (REST sends 415 for a charset or encoding it does not read)" },
  invalid_request: { status: 400, meaning: "a body or socket request does not match its schema; the message names each field" },
  invalid_message: { status: 400, meaning: "a message's text is blank or too long, or its clientMsgId is malformed" },
  invalid_query: { status: 400, meaning: "a query parameter is malformed or out of range" },
  invalid_agent: { status: 400, meaning: "an agent definition is malformed, renames the agent, or names tools or agents that do not exist" },
  invalid_input: { status: 400, meaning: "a workflow run's input does not match the workflow's input schema" },
  invalid_decision: { status: 400, meaning: "an approval decision is malformed (not approve or reject, a comment too long, a bad approval id)" },
  invalid_mcp_server: { status: 400, meaning: "an MCP server to add is malformed (name, an http(s) URL, headers) or is a stdio one, which only catalog files declare" },
  missing_token: { status: 401, meaning: "no access token was sent" },
  invalid_token: { status: 401, meaning: "the access token is not one the server knows" },
  forbidden: { status: 403, meaning: "only the admin may change the team, read the metrics or open the queue dashboard" },
  protected: { status: 403, meaning: "a request to disable or delete the manager" },
  not_found: { status: 404, meaning: "no API route has this method and path, or no socket event this name" },
  unknown_conversation: { status: 404, meaning: "no conversation of yours has this id" },
  unknown_agent: { status: 404, meaning: "no agent has this name" },
  unknown_workflow: { status: 404, meaning: "no workflow has this name" },
  unknown_run: { status: 404, meaning: "no workflow run you may see has this id" },
  unknown_approval: { status: 404, meaning: "no approval you may decide has this id" },
  unknown_message: { status: 404, meaning: "no event of this conversation has this id (retry and edit name a user message by its event id)" },
  unknown_mcp_server: { status: 404, meaning: "no MCP server has this name" },
  agent_exists: { status: 409, meaning: "an agent with this name already exists" },
  mcp_server_exists: { status: 409, meaning: "an MCP server with this name already exists (added through the API or declared in a catalog file)" },
  already_decided: { status: 409, meaning: "someone decided the approval first" },
  run_finished: { status: 409, meaning: "the workflow run has already ended" },
  turn_running: { status: 409, meaning: "a turn or workflow run is still going in the conversation: stop it before retrying or editing a message, or deleting the conversation" },
  no_running_turn: { status: 409, meaning: "a stop found no turn running in the conversation" },
  not_user_message: { status: 409, meaning: "retry and edit take a user's message; the event named is another kind" },
  agent_unavailable: { status: 409, meaning: "the agent a conversation talks to directly is disabled or was deleted: enable it, or start a new conversation" },
  payload_too_large: { status: 413, meaning: "the request body is over 256 kB" },
  rate_limited: { status: 429, meaning: "a rate limit is used up for now" },
  invalid_workflow: { status: 500, meaning: "the registry holds a workflow input schema the server cannot use" },
  unavailable: { status: 503, meaning: "the server could not complete the request (Redis unreachable, or a fault it logged)" },
} as const satisfies Record<ErrorCode, { status: number; meaning: string }>;

/** The codes that come with HTTP status `S`. */
export type CodeWithStatus<S extends number> = { [C in ErrorCode]: (typeof ERRORS)[C]["status"] extends S ? C : never }[ErrorCode];

/** An error as clients are told it: the `error` of a REST body, and of a refused acknowledgement. */
export const ErrorBody = z.object({ code: ErrorCode, message: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The body of every REST error; some add fields beside `error` (a 409's current state). */
export const ApiErrorBody = z.object({ error: ErrorBody });
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** A definition or setting is wrong; raised at construction or at start, never mid-run. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/**
 * An error meant for the client: a stable code, which decides the HTTP status, and a message a
 * person can act on. `extra` adds fields beside `error` in a REST body; Socket.IO acks leave it out.
 */
export class SwitchboardError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.status = ERRORS[code].status;
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** A 429: the message says what was limited; REST adds `Retry-After`, a refused socket `retryAfter` (seconds). */
export class RateLimitedError extends SwitchboardError {
  constructor(
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super("rate_limited", message);
  }
}
