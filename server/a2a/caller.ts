import { A2AError, RequestMalformedError } from "@a2a-js/sdk/errors";
import type { ServerCallContext, User } from "@a2a-js/sdk/server";
import type { Logger } from "../../platform/logger.js";
import type { Identity } from "../auth.js";
import { clientFacing } from "../http-error.js";

/** The A2A SDK's user for a request that passed the bearer check: who, and from where (for rate limits). */
export class A2ACaller implements User {
  constructor(
    readonly identity: Identity,
    readonly address: string,
  ) {}

  get isAuthenticated(): boolean {
    return true;
  }

  get userName(): string {
    return this.identity.user;
  }
}

/** The caller of an A2A call; the endpoint's bearer check put it there. */
export function callerOf(context: ServerCallContext): A2ACaller {
  const user = context.user;
  if (!(user instanceof A2ACaller)) throw new Error("an A2A call without the caller the bearer check sets");
  return user;
}

/**
 * Our errors as JSON-RPC errors an A2A client reads: a refusal of the request (4xx) as invalid
 * params, anything else with its message; the Switchboard error code rides in the error's
 * metadata. Internal faults are logged and never described.
 */
export function toA2AError(error: unknown, log: Logger): Error {
  if (error instanceof A2AError) return error;
  const known = clientFacing(error, log, "A2A request failed");
  const options = { message: known.message, metadata: { code: known.code } };
  return known.status >= 400 && known.status < 500 && known.status !== 429 ? new RequestMalformedError(options) : new A2AError(options);
}
