import { randomBytes, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import type { Redis } from "ioredis";
import type { Keys } from "../shared/keys.js";
import { HttpError } from "./http-error.js";

/** Who is calling. One access token means one local user, who is also the admin. */
export interface Identity {
  user: string;
  admin: boolean;
}

/**
 * The configured token, or one generated once and kept in Redis so every server process of the
 * deployment (and the next start) accepts the same one.
 */
export async function resolveAccessToken(redis: Redis, keys: Keys, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  await redis.set(keys.accessToken(), randomBytes(24).toString("base64url"), "NX");
  const token = await redis.get(keys.accessToken());
  if (!token) throw new Error("could not read the generated access token back from Redis");
  return token;
}

/** The admin token belongs to the local user; `users` are further people, each with a token of their own. */
export function createAuthenticator(
  adminToken: string,
  users: { user: string; token: string }[] = [],
): (presented: string | undefined) => Identity | undefined {
  const known = [
    { token: Buffer.from(adminToken), identity: { user: "local", admin: true } },
    ...users.map(({ user, token }) => ({ token: Buffer.from(token), identity: { user, admin: false } })),
  ];
  return (presented) => {
    if (!presented) return undefined;
    const given = Buffer.from(presented);
    return known.find(({ token }) => token.length === given.length && timingSafeEqual(token, given))?.identity;
  };
}

declare module "express-serve-static-core" {
  interface Locals {
    identity: Identity;
  }
}

export function requireBearer(authenticate: (presented: string | undefined) => Identity | undefined): RequestHandler {
  return (request, response, next) => {
    const header = request.headers.authorization;
    const match = header?.match(/^Bearer\s+(.+)$/i);
    if (!match) return next(new HttpError(401, "missing_token", "Send the access token as 'Authorization: Bearer <token>' (npm start prints it)."));
    const identity = authenticate(match[1]?.trim());
    if (!identity) return next(new HttpError(401, "invalid_token", "The access token is not valid."));
    response.locals.identity = identity;
    next();
  };
}
