import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { SwitchboardError } from "../shared/errors.js";
import type { Keys } from "../shared/keys.js";
import type { RateLimits } from "./rate-limits.js";
import type { RedisClient } from "../platform/redis.js";

/** Who is calling. One access token means one local user, who is also the admin. */
export interface Identity {
  user: string;
  admin: boolean;
}

/**
 * The configured token, or one generated once and kept in Redis so every server process of the
 * deployment (and the next start) accepts the same one.
 */
export async function resolveAccessToken(redis: RedisClient, keys: Keys, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  await redis.set(keys.accessToken(), randomBytes(24).toString("base64url"), "NX");
  const token = await redis.get(keys.accessToken());
  if (!token) throw new Error("could not read the generated access token back from Redis");
  return token;
}

const digest = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest();

/**
 * The admin token belongs to the local user; `users` are further people, each with a token of their own.
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`: every comparison is of 32 bytes,
 * whatever the lengths, and every known token is compared, so the time taken tells nothing about
 * how much of a token was right, how long it is, or whose it is.
 */
export function createAuthenticator(
  adminToken: string,
  users: { user: string; token: string }[] = [],
): (presented: string | undefined) => Identity | undefined {
  const known = [
    { digest: digest(adminToken), identity: { user: "local", admin: true } },
    ...users.map(({ user, token }) => ({ digest: digest(token), identity: { user, admin: false } })),
  ];
  return (presented) => {
    if (presented === undefined || presented === "") return undefined;
    const given = digest(presented);
    let found: Identity | undefined;
    for (const { digest: expected, identity } of known) {
      if (timingSafeEqual(expected, given)) found ??= identity;
    }
    return found;
  };
}

declare module "express-serve-static-core" {
  interface Locals {
    identity: Identity;
    /** The client's network address, as rate limits count it. */
    address: string;
  }
}

/** The realm a refusal's `WWW-Authenticate` names. */
const REALM = "switchboard";

/**
 * REST authentication: `Authorization: Bearer <token>`. An address that has sent too many refused
 * tokens gets 429 for every token until its window ends (see `RateLimits.assertLoginAllowed`).
 */
export function requireBearer(
  authenticate: (presented: string | undefined) => Identity | undefined,
  limits: RateLimits,
): RequestHandler {
  return async (request, response, next) => {
    const header = request.headers.authorization;
    const match = header?.match(/^Bearer\s+(.+)$/i);
    // RFC 6750: a refusal names the scheme a client should use (MCP and A2A clients read it).
    if (!match) {
      response.setHeader("WWW-Authenticate", `Bearer realm="${REALM}"`);
      return next(new SwitchboardError("missing_token", "Send the access token as 'Authorization: Bearer <token>' (npm start prints it)."));
    }
    const address = limits.addressOf(request);
    await limits.assertLoginAllowed(address);
    const identity = authenticate(match[1]?.trim());
    if (!identity) {
      await limits.loginFailed(address);
      response.setHeader("WWW-Authenticate", `Bearer realm="${REALM}", error="invalid_token"`);
      return next(new SwitchboardError("invalid_token", "The access token is not valid."));
    }
    response.locals.identity = identity;
    response.locals.address = address;
    next();
  };
}
