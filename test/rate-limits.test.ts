/**
 * Rate limits over real HTTP and Socket.IO against the real Redis, each with a low configured
 * value: login failures per address, and messages, new conversations, agent changes and workflow
 * runs per token and per address. Clients speak from different loopback addresses (127.0.0.x),
 * so "per address" is the server's own view of the peer. The counts live in Redis: a second
 * server instance on the same Redis sees the same numbers.
 */
import { request as httpRequest } from "node:http";
import { io, type Socket } from "socket.io-client";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { createLogger } from "../platform/logger.js";
import { connectRedis } from "../platform/redis.js";
import { WorkflowRegistry } from "../platform/workflow-registry.js";
import { startServer, type RunningServer } from "../server/server-process.js";
import { parseConfig } from "../shared/config.js";
import { keys as keyNames } from "../shared/keys.js";
import type { AckResponse, ClientToServerEvents, ServerToClientEvents } from "../shared/socket-events.js";
import { WORKFLOW_SUMMARY_VERSION, type WorkflowSummary } from "../shared/workflow.js";
import { TEST_TOKEN, startPlatform, type Platform } from "./support/harness.js";

const ALICE = "alice-token-0123456789";
const BOB = "bob-token-0123456789ab";
const USERS = { SWITCHBOARD_USERS: `alice:${ALICE},bob:${BOB}` };

interface Reply {
  status: number;
  retryAfter: string | undefined;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** One HTTP request from the loopback address `from`, as a client on that address would send it. */
function call(
  baseUrl: string,
  from: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method,
        localAddress: from,
        headers: {
          ...headers,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"], body: text ? (JSON.parse(text) as Reply["body"]) : {} }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const sockets: ClientSocket[] = [];

/** A Socket.IO client on the websocket transport from the loopback address `from`. */
function connectSocket(baseUrl: string, token: string, from: string, extraHeaders: Record<string, string> = {}): ClientSocket {
  const socket: ClientSocket = io(baseUrl, { path: "/socket.io", auth: { token }, transports: ["websocket"], reconnection: false, localAddress: from, extraHeaders } as never);
  sockets.push(socket);
  return socket;
}

function connected(socket: ClientSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
}

const platforms: Platform[] = [];
const extraServers: RunningServer[] = [];
async function platformWith(env: Record<string, string>): Promise<Platform> {
  const platform = await startPlatform({ agents: false, env: { ...USERS, ...env } });
  platforms.push(platform);
  return platform;
}

/** A second server process's worth of server on the same Redis and settings: another instance of the deployment. */
async function secondInstance(platform: Platform): Promise<RunningServer> {
  const server = await startServer({ config: platform.config, redis: inject("redisUrl"), log: createLogger("silent") });
  extraServers.push(server);
  return server;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const server of extraServers.splice(0)) await server.close();
  for (const platform of platforms.splice(0)) await platform.close();
});
afterAll(async () => {
  for (const platform of platforms) await platform.close();
});

/** A 429 as the contract has it: `Retry-After` in whole seconds within the window, and the usual error body. */
function expectLimited(reply: Reply, windowSeconds: number, message: RegExp): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(429);
  expect(reply.body.error?.code).toBe("rate_limited");
  expect(reply.body.error?.message).toMatch(message);
  const seconds = Number(reply.retryAfter);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(windowSeconds);
  expect(reply.body.error?.message).toContain(`try again in ${seconds} s`);
}

describe("login failures", () => {
  it("blocks an address after the configured number of refused tokens, for every token, on every instance", async () => {
    const platform = await platformWith({ SWITCHBOARD_RATE_LOGIN_FAILURES: "3" });
    const url = platform.server.url;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const wrong = await call(url, "127.0.0.2", "GET", "/api/conversations", `wrong-token-number-${attempt}-xxxx`);
      expect(wrong.status).toBe(401);
      expect(wrong.body.error?.code).toBe("invalid_token");
    }
    // A missing token is not a guess: it is not counted and not blocked.
    expect((await call(url, "127.0.0.2", "GET", "/api/conversations", undefined)).status).toBe(401);

    expectLimited(await call(url, "127.0.0.2", "GET", "/api/conversations", "wrong-token-number-4-xxxx"), 900, /refused access tokens/);
    // Blocked means no token is checked from there any more, the right one included: guessing stops.
    expectLimited(await call(url, "127.0.0.2", "GET", "/api/conversations", TEST_TOKEN), 900, /refused access tokens/);
    // Another instance of the deployment reads the same count from Redis.
    const other = await secondInstance(platform);
    expectLimited(await call(other.url, "127.0.0.2", "GET", "/api/me", ALICE), 900, /refused access tokens/);

    // The socket's handshake is a login too: refused from the blocked address, with the code in `data`.
    const blocked = connectSocket(url, TEST_TOKEN, "127.0.0.2");
    const refusal = (await connected(blocked).then(
      () => undefined,
      (error: unknown) => error,
    )) as (Error & { data?: { code?: string; retryAfter?: number } }) | undefined;
    expect(refusal?.message).toMatch(/Too many refused access tokens from this address; try again in \d+ s\./);
    expect(refusal?.data?.code).toBe("rate_limited");
    expect(refusal?.data?.retryAfter).toBeGreaterThanOrEqual(1);

    // Other addresses are not affected.
    expect((await call(url, "127.0.0.3", "GET", "/api/me", TEST_TOKEN)).status).toBe(200);
    expect((await call(url, "127.0.0.3", "GET", "/api/me", "wrong-token-from-elsewhere")).status).toBe(401);
    await connected(connectSocket(url, TEST_TOKEN, "127.0.0.3"));
  });

  it("behind a trusted proxy, counts each forwarded client apart; a peer that is not the proxy cannot choose its address", async () => {
    // 127.0.0.9 plays the reverse proxy; the clients behind it are documentation addresses.
    const platform = await platformWith({ SWITCHBOARD_RATE_LOGIN_FAILURES: "2", SWITCHBOARD_TRUSTED_PROXIES: "127.0.0.9" });
    const url = platform.server.url;
    const via = (client: string) => ({ "x-forwarded-for": client });
    for (let attempt = 1; attempt <= 2; attempt++) {
      expect((await call(url, "127.0.0.9", "GET", "/api/me", `wrong-token-${attempt}-xxxxxxxx`, undefined, via("203.0.113.5"))).status).toBe(401);
    }
    expectLimited(await call(url, "127.0.0.9", "GET", "/api/me", TEST_TOKEN, undefined, via("203.0.113.5")), 900, /refused access tokens/);
    // Another client of the same proxy is not locked out by the first one's guesses.
    expect((await call(url, "127.0.0.9", "GET", "/api/me", TEST_TOKEN, undefined, via("203.0.113.6"))).status).toBe(200);
    // A proxy chain: the address the trusted proxy appended is the client's, not what the client claimed before it.
    expect((await call(url, "127.0.0.9", "GET", "/api/me", TEST_TOKEN, undefined, via("203.0.113.6, 203.0.113.5"))).status).toBe(429);
    // The socket's handshake counts the same way.
    const blocked = connectSocket(url, TEST_TOKEN, "127.0.0.9", via("203.0.113.5"));
    await expect(connected(blocked)).rejects.toThrow(/Too many refused access tokens/);
    await connected(connectSocket(url, TEST_TOKEN, "127.0.0.9", via("203.0.113.6")));

    // A peer that is not the proxy is counted as itself, whatever it forwards.
    for (let attempt = 1; attempt <= 2; attempt++) {
      expect((await call(url, "127.0.0.10", "GET", "/api/me", `wrong-token-${attempt}-xxxxxxxx`, undefined, via(`198.51.100.${attempt}`))).status).toBe(401);
    }
    expectLimited(await call(url, "127.0.0.10", "GET", "/api/me", TEST_TOKEN, undefined, via("198.51.100.3")), 900, /refused access tokens/);
  });

  it("trusts no forwarded address by default", async () => {
    const platform = await platformWith({ SWITCHBOARD_RATE_LOGIN_FAILURES: "2" });
    const url = platform.server.url;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const reply = await call(url, "127.0.0.12", "GET", "/api/me", `wrong-token-${attempt}-xxxxxxxx`, undefined, { "x-forwarded-for": `198.51.100.${attempt}` });
      expect(reply.status).toBe(401);
    }
    expectLimited(await call(url, "127.0.0.12", "GET", "/api/me", TEST_TOKEN, undefined, { "x-forwarded-for": "198.51.100.9" }), 900, /refused access tokens/);
  });

  it("counts refused socket handshakes as failures", async () => {
    const platform = await platformWith({ SWITCHBOARD_RATE_LOGIN_FAILURES: "2" });
    const url = platform.server.url;
    for (let attempt = 1; attempt <= 2; attempt++) {
      await expect(connected(connectSocket(url, `wrong-socket-token-${attempt}-xxxx`, "127.0.0.4"))).rejects.toThrow(/not valid/);
    }
    expectLimited(await call(url, "127.0.0.4", "GET", "/api/me", TEST_TOKEN), 900, /refused access tokens/);
  });
});

/** What one counted action is, as a client does it. */
interface Action {
  name: string;
  /** The env variable's stem: SWITCHBOARD_RATE_<stem> (per token) and …_PER_ADDRESS. */
  env: string;
  message: RegExp;
  /** Only the admin may do it (agent changes). */
  adminOnly?: boolean;
  /** Prepares what the action needs on a fresh platform; returns the action (`n` counts calls). */
  setUp(platform: Platform): Promise<(url: string, from: string, token: string, n: number) => Promise<Reply>>;
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

const ACTIONS: Action[] = [
  {
    name: "message posts",
    env: "MESSAGES",
    message: /Too many messages/,
    async setUp(platform) {
      const conversations = new Map<string, string>();
      for (const token of [TEST_TOKEN, ALICE, BOB]) {
        const created = await call(platform.server.url, "127.0.0.1", "POST", "/api/conversations", token, {});
        conversations.set(token, created.body.id as string);
      }
      return (url, from, token, n) =>
        call(url, from, "POST", `/api/conversations/${conversations.get(token)}/messages`, token, { text: `message ${n}` });
    },
  },
  {
    name: "conversation creation",
    env: "CONVERSATIONS",
    message: /Too many new conversations/,
    async setUp() {
      return (url, from, token) => call(url, from, "POST", "/api/conversations", token, {});
    },
  },
  {
    name: "agent changes (POST, PUT and DELETE /api/agents)",
    env: "AGENT_CHANGES",
    message: /Too many changes to the team/,
    adminOnly: true,
    async setUp() {
      let name = "";
      const spec = () => ({ name, description: "Writes haiku poems and short verses about any topic.", instructions: "Answer with a haiku." });
      // Create, change, delete, create, …: every kind of change counts.
      return (url, from, token, n) => {
        if (n % 3 === 0) {
          name = `poet-${unique()}`;
          return call(url, from, "POST", "/api/agents", token, spec());
        }
        if (n % 3 === 1) return call(url, from, "PUT", `/api/agents/${name}`, token, { ...spec(), instructions: "Answer in verse." });
        return call(url, from, "DELETE", `/api/agents/${name}`, token);
      };
    },
  },
  {
    name: "workflow run starts",
    env: "WORKFLOW_RUNS",
    message: /Too many workflow runs started/,
    async setUp(platform) {
      // The registry as an agents process writes it; no runner needs to pick the runs up.
      const redis = await connectRedis(inject("redisUrl"));
      try {
        await new WorkflowRegistry(redis, keyNames(platform.config.prefix), createLogger("silent")).putAll([orderTriage()]);
      } finally {
        await redis.quit();
      }
      return (url, from, token) => call(url, from, "POST", "/api/workflows/order-triage/runs", token, { input: { orderId: "A-1042" } });
    },
  },
];

function orderTriage(): WorkflowSummary {
  return {
    v: WORKFLOW_SUMMARY_VERSION,
    name: "order-triage",
    description: "A workflow written by hand for a test.",
    version: "v-order-triage-1",
    inputSchema: z.toJSONSchema(z.object({ orderId: z.string() })) as Record<string, unknown>,
    graph: { nodes: [{ id: "start", kind: "start", label: "start" }, { id: "end", kind: "end", label: "end" }], edges: [{ from: "start", to: "end" }] },
    budget: { modelCalls: { min: 0, max: 0 }, approvals: 0, agentRuns: 0, unboundedSteps: [] },
    source: "code",
    updatedAt: new Date().toISOString(),
  };
}

const ok = (reply: Reply) => {
  expect(reply.status, JSON.stringify(reply.body)).toBeGreaterThanOrEqual(200);
  expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(300);
};

describe.each(ACTIONS)("$name", (action) => {
  it(`per token: SWITCHBOARD_RATE_${action.env}`, async () => {
    const platform = await platformWith({ [`SWITCHBOARD_RATE_${action.env}`]: "3", [`SWITCHBOARD_RATE_${action.env}_PER_ADDRESS`]: "1000" });
    const act = await action.setUp(platform);
    const url = platform.server.url;
    let n = 0;
    for (let i = 0; i < 3; i++) ok(await act(url, "127.0.0.5", TEST_TOKEN, n++));
    expectLimited(await act(url, "127.0.0.5", TEST_TOKEN, n), 60, new RegExp(`${action.message.source} with this access token`));
    // The token is limited wherever it comes from, on any instance.
    expectLimited(await act(url, "127.0.0.6", TEST_TOKEN, n), 60, /with this access token/);
    expectLimited(await act((await secondInstance(platform)).url, "127.0.0.6", TEST_TOKEN, n), 60, /with this access token/);
    // Another token on the same address is not.
    if (!action.adminOnly) ok(await act(url, "127.0.0.5", ALICE, 0));
  });

  it(`per address: SWITCHBOARD_RATE_${action.env}_PER_ADDRESS`, async () => {
    const platform = await platformWith({ [`SWITCHBOARD_RATE_${action.env}`]: "1000", [`SWITCHBOARD_RATE_${action.env}_PER_ADDRESS`]: "3" });
    const act = await action.setUp(platform);
    const url = platform.server.url;
    const tokens = action.adminOnly ? [TEST_TOKEN, TEST_TOKEN, TEST_TOKEN] : [TEST_TOKEN, ALICE, BOB];
    let n = 0;
    for (const token of tokens) ok(await act(url, "127.0.0.7", token, n++));
    expectLimited(await act(url, "127.0.0.7", tokens[0] as string, n), 60, new RegExp(`${action.message.source} from this address`));
    expectLimited(await act((await secondInstance(platform)).url, "127.0.0.7", tokens[1] as string, n), 60, /from this address/);
    // The same token from another address goes on.
    ok(await act(url, "127.0.0.8", tokens[0] as string, n));
  });
});

describe("message:send on the socket", () => {
  it("shares the message limits with REST and acknowledges a refusal with rate_limited", async () => {
    const platform = await platformWith({ SWITCHBOARD_RATE_MESSAGES: "2", SWITCHBOARD_RATE_MESSAGES_PER_ADDRESS: "3" });
    const url = platform.server.url;
    const conversationOf = async (token: string) => (await call(url, "127.0.0.9", "POST", "/api/conversations", token, {})).body.id as string;
    const [mine, alices] = [await conversationOf(TEST_TOKEN), await conversationOf(ALICE)];
    const send = (socket: ClientSocket, conversationId: string, clientMsgId: string): Promise<AckResponse<{ eventId: string }>> =>
      socket.emitWithAck("message:send", { conversationId, text: `over the socket ${clientMsgId}`, clientMsgId });

    const socket = connectSocket(url, TEST_TOKEN, "127.0.0.9");
    await connected(socket);
    expect((await send(socket, mine, "s1")).ok).toBe(true);
    ok(await call(url, "127.0.0.9", "POST", `/api/conversations/${mine}/messages`, TEST_TOKEN, { text: "over REST" }));
    const refused = await send(socket, mine, "s2");
    expect(refused).toMatchObject({ ok: false, error: { code: "rate_limited", message: expect.stringMatching(/^Too many messages with this access token; try again in \d+ s\.$/) } });
    // Per address over the socket: the third message from 127.0.0.9 (Alice's) is the address's last.
    const alice = connectSocket(url, ALICE, "127.0.0.9");
    await connected(alice);
    expect((await send(alice, alices, "a1")).ok).toBe(true);
    expect(await send(alice, alices, "a2")).toMatchObject({ ok: false, error: { code: "rate_limited", message: expect.stringMatching(/from this address/) } });
    // Nothing refused reached the log.
    const events = await call(url, "127.0.0.10", "GET", `/api/conversations/${mine}/events`, TEST_TOKEN);
    expect((events.body.events as { type: string }[]).filter((e) => e.type === "message.user")).toHaveLength(2);
  });
});

describe("defaults", () => {
  it("are on, and high enough for normal use", () => {
    const parsed = parseConfig({});
    expect(parsed.ok && parsed.config.rateLimits).toEqual({
      loginFailures: 30,
      messages: { perToken: 60, perAddress: 300 },
      conversations: { perToken: 30, perAddress: 150 },
      agentChanges: { perToken: 30, perAddress: 150 },
      workflowRuns: { perToken: 30, perAddress: 150 },
      trustedProxies: [],
    });
    const bad = parseConfig({ SWITCHBOARD_RATE_MESSAGES: "-1", SWITCHBOARD_RATE_LOGIN_FAILURES: "lots" });
    expect(bad.ok ? [] : bad.errors.map((e) => e.split(":")[0])).toEqual(["SWITCHBOARD_RATE_LOGIN_FAILURES", "SWITCHBOARD_RATE_MESSAGES"]);
  });

  it("takes trusted proxies as addresses, subnets or names, and names each entry it cannot read", () => {
    const parsed = parseConfig({ SWITCHBOARD_TRUSTED_PROXIES: "10.0.0.5, 172.30.0.0/24, fd00::/8, ::1, loopback" });
    expect(parsed.ok && parsed.config.rateLimits.trustedProxies).toEqual(["10.0.0.5", "172.30.0.0/24", "fd00::/8", "::1", "loopback"]);
    const bad = parseConfig({ SWITCHBOARD_TRUSTED_PROXIES: "10.0.0.0/33,nginx,10.0.0.256,::g" });
    expect(bad.ok ? [] : bad.errors).toEqual([
      expect.stringMatching(/^SWITCHBOARD_TRUSTED_PROXIES: "10\.0\.0\.0\/33" is not an IP address, a subnet/),
      expect.stringMatching(/"nginx" is not an IP address/),
      expect.stringMatching(/"10\.0\.0\.256" is not an IP address/),
      expect.stringMatching(/"::g" is not an IP address/),
    ]);
  });

  it("0 turns a limit off", async () => {
    const platform = await platformWith({ SWITCHBOARD_RATE_CONVERSATIONS: "0", SWITCHBOARD_RATE_CONVERSATIONS_PER_ADDRESS: "0", SWITCHBOARD_RATE_LOGIN_FAILURES: "0" });
    // More than the defaults (30 each) would let through.
    for (let i = 0; i < 35; i++) ok(await call(platform.server.url, "127.0.0.11", "POST", "/api/conversations", TEST_TOKEN, {}));
    for (let i = 0; i < 35; i++) expect((await call(platform.server.url, "127.0.0.11", "GET", "/api/me", `wrong-token-${i}-xxxxxxxx`)).status).toBe(401);
  });
});
