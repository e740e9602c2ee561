import type { IncomingMessage } from "node:http";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Config } from "../shared/config.js";
import { RateLimitedError } from "../shared/errors.js";
import type { RedisClient } from "../platform/redis.js";
import { clientAddressOf } from "./client-address.js";

/** The actions that are limited per token and per address; each counts what it would change. */
export type LimitedAction = "messages" | "conversations" | "agentChanges" | "workflowRuns";

/** Who is acting: the user a token belongs to (one token, one user) and the client's network address. */
export interface Actor {
  user: string;
  address: string;
}

/** Window of the per-action limits, and of login failures. */
export const ACTION_WINDOW_SECONDS = 60;
export const LOGIN_WINDOW_SECONDS = 15 * 60;

const WHAT: Record<LimitedAction, string> = {
  messages: "messages",
  conversations: "new conversations",
  agentChanges: "changes to the team",
  workflowRuns: "workflow runs started",
};

const retryAfter = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/**
 * Rate limits kept in Redis (fixed windows, one counter key per limit and key), so every server
 * instance of a deployment counts against the same numbers. A limit of 0 is off.
 */
export class RateLimits {
  private readonly actions: Record<LimitedAction, { perToken?: RateLimiterRedis; perAddress?: RateLimiterRedis }>;
  private readonly loginFailures?: RateLimiterRedis;
  /** The address a request counts against: its peer's, or the one trusted proxies forwarded. */
  readonly addressOf: (request: IncomingMessage) => string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    settings: Config["rateLimits"],
  ) {
    this.addressOf = clientAddressOf(settings.trustedProxies);
    const limiter = (name: string, points: number, duration: number) =>
      points > 0 ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:rl:${name}`, points, duration }) : undefined;
    const action = (name: LimitedAction) => ({
      perToken: limiter(`${name}:token`, settings[name].perToken, ACTION_WINDOW_SECONDS),
      perAddress: limiter(`${name}:addr`, settings[name].perAddress, ACTION_WINDOW_SECONDS),
    });
    this.actions = {
      messages: action("messages"),
      conversations: action("conversations"),
      agentChanges: action("agentChanges"),
      workflowRuns: action("workflowRuns"),
    };
    this.loginFailures = limiter("login-failures:addr", settings.loginFailures, LOGIN_WINDOW_SECONDS);
  }

  /**
   * Counts one `action` for the actor's token, then for their address; throws `RateLimitedError`
   * at the first that is over (a request refused for its token is not counted against the address).
   */
  async consume(action: LimitedAction, actor: Actor): Promise<void> {
    const { perToken, perAddress } = this.actions[action];
    await limited(perToken, actor.user, (wait) => `Too many ${WHAT[action]} with this access token; try again in ${wait} s.`);
    await limited(perAddress, actor.address, (wait) => `Too many ${WHAT[action]} from this address; try again in ${wait} s.`);
  }

  /**
   * Throws `RateLimitedError` while the address has used up its login failures: then no token is
   * even checked from it, right or wrong, so guessing cannot go on. A success does not reset the
   * count (a user with a token of their own could otherwise keep guessing the admin's).
   */
  async assertLoginAllowed(address: string): Promise<void> {
    if (!this.loginFailures) return;
    // Every request asks this: a plain GET of the counter (one command where the limiter's own read
    // is a MULTI of four), and the time left only for an address that is blocked.
    const failures = Number(await this.redis.get(this.loginFailures.getKey(address)));
    if (failures < this.loginFailures.points) return;
    const res = await this.loginFailures.get(address);
    if (res && res.consumedPoints >= this.loginFailures.points) throw loginBlocked(retryAfter(res));
  }

  /** Records a refused token from `address`; throws `RateLimitedError` once that is one too many. */
  async loginFailed(address: string): Promise<void> {
    if (!this.loginFailures) return;
    try {
      await this.loginFailures.consume(address);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw loginBlocked(retryAfter(error));
      throw error;
    }
  }
}

async function limited(limiter: RateLimiterRedis | undefined, key: string, message: (wait: number) => string): Promise<void> {
  if (!limiter) return;
  try {
    await limiter.consume(key);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw error;
    const wait = retryAfter(error);
    throw new RateLimitedError(wait, message(wait));
  }
}

const loginBlocked = (seconds: number) =>
  new RateLimitedError(seconds, `Too many refused access tokens from this address; try again in ${seconds} s.`);
