/**
 * The fuzz corpus of `test/faults/inputs.test.ts`: bad inputs for every REST route and every
 * Socket.IO event of docs/api.md, generated class by class (wrong types, missing and extra fields,
 * huge strings, invalid JSON, wrong content types, invisible-only text, bad ids, out-of-range
 * cursors, prototype-pollution keys, deep nesting, numbers as strings, arrays for objects, bad
 * decisions, oversized bodies, bad methods, bad tokens), so that each route and event gets every
 * class that applies to it. Every case is a request a client could send; each one must be refused.
 */

import { TEST_TOKEN as ADMIN_TOKEN } from "../../support/api-client.js";

/** Ids and names of real things the corpus aims at, so that only the part under test is wrong. */
export interface FuzzFixtures {
  /** A conversation of the user the corpus speaks as (alice). */
  conversationId: string;
  /** A workflow run of alice's that waits for an approval. */
  runId: string;
  /** A run of alice's that has ended. */
  finishedRunId: string;
  /** Alice's approval, pending. */
  approvalId: string;
  /** Alice's approval, already decided. */
  decidedApprovalId: string;
  /** An agent the admin may change (not the manager). */
  agent: string;
  /** A workflow with an input schema of strings (orderId, message). */
  workflow: string;
  /** A workflow with a number field (amount) and a pattern (orderId). */
  numericWorkflow: string;
  /** A conversation of someone else's (bob's). */
  othersConversationId: string;
}

export type Caller = "admin" | "alice" | "none" | "wrong";

export interface RestCase {
  /** The route as docs/api.md names it, e.g. `POST /api/conversations/:id/messages`. */
  route: string;
  /** The class of bad input. */
  kind: string;
  as: Caller | { authorization: string };
  method: string;
  /** Sent as written: not normalised, not re-encoded. */
  path: string;
  body?: string | Buffer;
  /** The body's content type; `null` sends none. Defaults to application/json when there is a body. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** The statuses allowed; any 4xx but 429 when absent. */
  expect?: number[];
}

/** Not an API route: the page and its assets. A bad path must never serve a file it names. */
export interface StaticCase {
  kind: string;
  path: string;
}

export interface SocketCase {
  /** The event as docs/api.md names it (or the bad name sent). */
  event: string;
  kind: string;
  /** What is emitted before the acknowledgement callback (usually one payload). */
  args: unknown[];
  /** False: emitted without an acknowledgement (conversation:leave has none). */
  ack: boolean;
  /** The error codes allowed in the refusal; any when absent. */
  codes?: string[];
}

/** A handshake with bad credentials: refused with a `connect_error` that says why. */
export interface HandshakeCase {
  kind: string;
  auth: unknown;
  /** Socket.IO namespace; "/" unless given. */
  namespace?: string;
}

/** A frame that is not a valid Socket.IO packet: Socket.IO closes that one connection, nothing more. */
export interface FrameCase {
  kind: string;
  /** Written as one engine.io message. */
  frame: string;
}

const json = (value: unknown): string => JSON.stringify(value);
const enc = encodeURIComponent;

/** Deep nesting that JSON.parse accepts but no schema wants: `[[[…]]]` `depth` deep. */
export function deeplyNested(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** Texts with nothing a person would see: refused as empty (docs/security.md). */
export const INVISIBLE_TEXTS: [string, string][] = [
  ["empty", ""],
  ["spaces and newlines", "  \n\t \r\n "],
  ["NUL", "\u0000"],
  ["NULs and control characters", "\u0000\u0001\u0007\u001b\u007f"],
  ["zero-width space and joiners", "\u200b\u200c\u200d"],
  ["word joiner and BOM", "\u2060\ufeff"],
  ["bidi controls", "\u202a\u202b\u202e\u2066\u2069"],
  ["tag characters", "\u{e0041}\u{e0042}\u{e007f}"],
  ["variation selectors", "\ufe0f\ufe0e\u{e0100}"],
  ["Hangul fillers", "\u3164\u115f\uffa0"],
  ["blank Braille pattern", "\u2800\u2800"],
  ["non-breaking and ideographic spaces", "\u00a0\u3000\u2007\u202f"],
  ["a lone surrogate", "\ud800"],
];

/** Ids no route may resolve: traversal, Redis key patterns, unicode, encodings, huge, odd words. */
export const BAD_IDS: [string, string][] = [
  ["path traversal (encoded)", enc("../../etc/passwd")],
  ["path traversal (dots)", "%2e%2e"],
  ["redis glob *", "*"],
  ["redis key-like a:b:*", enc("sb:conv:*")],
  ["redis hash tag {}", enc("{}")],
  ["braces in an id", enc("a{b}c-1234567")],
  ["unicode letters", enc("ünïcødé-ïd-Ω≈ç√")],
  ["emoji", enc("🙂🙂🙂🙂🙂🙂🙂🙂")],
  ["right-to-left override", enc("abc\u202edef12345")],
  ["NUL byte", "abcdefgh%00"],
  ["newline", "abcdefgh%0A"],
  ["invalid percent-encoding", "%ff%fe"],
  ["broken percent-encoding", "abc%zz"],
  ["huge id (10,000 characters)", "x".repeat(10_000)],
  ["__proto__", "__proto__"],
  ["constructor", "constructor"],
  ["SQL-ish", enc("' OR '1'='1")],
  ["Mongo-ish operator", enc('{"$ne":null}')],
  ["blank", "%20%20%20"],
  ["well-formed but unknown", "doesNotExist0123456789"],
];

/** Stream-id cursors that are malformed or out of range (each part at most 2^64-1). */
export const BAD_CURSORS: [string, string][] = [
  ["letters", "abc"],
  ["negative", "-1"],
  ["dangling dash", "1-"],
  ["three parts", "1-2-3"],
  ["decimal", "1.5"],
  ["hex", "0x10"],
  ["leading space", " 1"],
  ["Redis special >", ">"],
  ["Redis special $", "$"],
  ["Redis special +", "+"],
  ["Redis special *", "*"],
  ["Arabic-Indic digits", "١٢٣-٠"],
  ["first part past 2^64-1", "18446744073709551616-0"],
  ["second part past 2^64-1", "0-18446744073709551616"],
  ["23 digits", "99999999999999999999999-0"],
  ["the last stream id (nothing after it)", "18446744073709551615-18446744073709551615"],
  ["10,000 digits", "9".repeat(10_000)],
  ["empty", ""],
];

/** Everything but a JSON object: what a client sends when it gets the body wrong. */
function bodyShapeCases(valid: Record<string, unknown>): { kind: string; body: string | Buffer; contentType?: string | null; headers?: Record<string, string> }[] {
  const validJson = json(valid);
  return [
    { kind: "invalid JSON: unclosed", body: "{" },
    { kind: "invalid JSON: trailing comma", body: `${validJson.slice(0, -1)},}` },
    { kind: "invalid JSON: single quotes", body: validJson.replaceAll('"', "'") },
    { kind: "invalid JSON: extra brace", body: `${validJson}}` },
    { kind: "invalid JSON: NaN", body: "NaN" },
    { kind: "invalid JSON: a NUL byte", body: "\u0000" },
    { kind: "invalid JSON: JSON null", body: "null" },
    { kind: "JSON string instead of an object", body: '"text"' },
    { kind: "JSON number instead of an object", body: "5" },
    { kind: "empty array instead of an object", body: "[]" },
    { kind: "array where the object goes", body: json([valid]) },
    { kind: "wrong content-type: text/plain", body: validJson, contentType: "text/plain" },
    { kind: "wrong content-type: form-urlencoded", body: new URLSearchParams(Object.entries(valid).map(([k, v]) => [k, String(v)])).toString(), contentType: "application/x-www-form-urlencoded" },
    { kind: "wrong content-type: multipart", body: `--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n${validJson}\r\n--x--\r\n`, contentType: "multipart/form-data; boundary=x" },
    { kind: "no content-type", body: validJson, contentType: null },
    { kind: "unsupported charset", body: validJson, contentType: "application/json; charset=utf-16" },
    { kind: "gzip encoding that is not gzip", body: validJson, headers: { "content-encoding": "gzip" } },
    { kind: "unknown content encoding", body: validJson, headers: { "content-encoding": "zstd-ish" } },
    { kind: "oversized body (300 kB)", body: json({ ...valid, padding: "x".repeat(300_000) }) },
    { kind: "deeply nested JSON (50,000 levels)", body: `${validJson.slice(0, -1)},"nested":${deeplyNested(50_000)}}` },
    { kind: "prototype pollution: __proto__", body: `${validJson.slice(0, -1)}${Object.keys(valid).length ? "," : ""}"__proto__":{"admin":true,"polluted":"yes"}}` },
    { kind: "prototype pollution: constructor.prototype", body: json({ ...valid, constructor: { prototype: { admin: true, polluted: "yes" } } }) },
    { kind: "extra field", body: json({ ...valid, admin: true }) },
  ];
}

interface RouteSpec {
  route: string;
  method: string;
  path: (f: FuzzFixtures, id?: string) => string;
  as: Caller;
  /** A body that is right, so a case can break one thing at a time. */
  body?: Record<string, unknown>;
  /** The kind of id in the path, if any. */
  param?: "conversation" | "agent" | "workflow" | "run" | "approval" | "MCP server";
  /** Methods the path does not answer. */
  wrongMethods: string[];
}

const VALID_AGENT = {
  name: "fuzz-poet",
  description: "Writes haiku poems and short verses about any topic.",
  instructions: "Answer with a haiku.",
};
const VALID_UPDATE = { description: "Proofreads a passage for spelling, grammar and punctuation.", instructions: "Return the corrected passage only." };
const VALID_INPUT = { orderId: "4413", message: "Where is my lamp? It has not arrived." };
/** An HTTP MCP server as the admin adds one; nothing listens there, and no case adds it. */
const VALID_MCP_SERVER = { name: "fuzztools", url: "http://127.0.0.1:9/mcp" };

function routeTable(): RouteSpec[] {
  return [
    { route: "GET /api/me", method: "GET", path: () => "/api/me", as: "alice", wrongMethods: ["POST", "PUT", "DELETE", "PATCH"] },
    { route: "POST /api/conversations", method: "POST", path: () => "/api/conversations", as: "alice", body: { title: "A fine title" }, wrongMethods: ["PUT", "DELETE", "PATCH"] },
    { route: "GET /api/conversations", method: "GET", path: () => "/api/conversations", as: "alice", wrongMethods: [] },
    {
      route: "GET /api/conversations/:id",
      method: "GET",
      path: (f, id) => `/api/conversations/${id ?? f.conversationId}`,
      as: "alice",
      param: "conversation",
      wrongMethods: ["POST", "PUT"],
    },
    {
      route: "PATCH /api/conversations/:id",
      method: "PATCH",
      path: (f, id) => `/api/conversations/${id ?? f.conversationId}`,
      as: "alice",
      body: { title: "A fine title" },
      param: "conversation",
      wrongMethods: [],
    },
    // No case sends a right request with a right token: nothing here may delete the fixture.
    { route: "DELETE /api/conversations/:id", method: "DELETE", path: (f, id) => `/api/conversations/${id ?? f.conversationId}`, as: "alice", param: "conversation", wrongMethods: [] },
    {
      route: "POST /api/conversations/:id/stop",
      method: "POST",
      path: (f, id) => `/api/conversations/${id ?? f.conversationId}/stop`,
      as: "alice",
      body: { reason: "enough" },
      param: "conversation",
      wrongMethods: ["GET", "PUT", "DELETE", "PATCH"],
    },
    {
      route: "POST /api/conversations/:id/messages/:eventId/edit",
      method: "POST",
      path: (f, id) => `/api/conversations/${id ?? f.conversationId}/messages/1-0/edit`,
      as: "alice",
      body: { text: "hello again" },
      param: "conversation",
      wrongMethods: ["GET", "PUT", "DELETE", "PATCH"],
    },
    {
      route: "POST /api/conversations/:id/messages/:eventId/retry",
      method: "POST",
      path: (f, id) => `/api/conversations/${id ?? f.conversationId}/messages/1-0/retry`,
      as: "alice",
      param: "conversation",
      wrongMethods: ["GET", "PUT", "DELETE", "PATCH"],
    },
    {
      route: "GET /api/conversations/:id/runs/:runId/steps",
      method: "GET",
      path: (f, id) => `/api/conversations/${id ?? f.conversationId}/runs/r-none/steps`,
      as: "alice",
      param: "conversation",
      wrongMethods: ["POST", "PUT", "DELETE", "PATCH"],
    },
    {
      route: "POST /api/conversations/:id/messages",
      method: "POST",
      path: (f, id) => `/api/conversations/${id ?? f.conversationId}/messages`,
      as: "alice",
      body: { text: "hello there" },
      param: "conversation",
      wrongMethods: ["GET", "PUT", "DELETE", "PATCH"],
    },
    {
      route: "GET /api/conversations/:id/events",
      method: "GET",
      path: (f, id) => `/api/conversations/${id ?? f.conversationId}/events?after=0`,
      as: "alice",
      param: "conversation",
      wrongMethods: ["POST", "PUT", "DELETE", "PATCH"],
    },
    {
      route: "GET /api/conversations/:id/events/stream",
      method: "GET",
      path: (f, id) => `/api/conversations/${id ?? f.conversationId}/events/stream`,
      as: "alice",
      param: "conversation",
      wrongMethods: ["POST", "PUT", "DELETE", "PATCH"],
    },
    { route: "GET /api/agents", method: "GET", path: () => "/api/agents", as: "alice", wrongMethods: ["PUT", "DELETE", "PATCH"] },
    { route: "GET /api/agents/:name", method: "GET", path: (f, id) => `/api/agents/${id ?? f.agent}`, as: "alice", param: "agent", wrongMethods: ["POST", "PATCH"] },
    { route: "POST /api/agents", method: "POST", path: () => "/api/agents", as: "admin", body: VALID_AGENT, wrongMethods: [] },
    { route: "PUT /api/agents/:name", method: "PUT", path: (f, id) => `/api/agents/${id ?? f.agent}`, as: "admin", body: VALID_UPDATE, param: "agent", wrongMethods: [] },
    { route: "DELETE /api/agents/:name", method: "DELETE", path: (f, id) => `/api/agents/${id ?? f.agent}`, as: "admin", param: "agent", wrongMethods: [] },
    { route: "GET /api/agents/:name/history", method: "GET", path: (f, id) => `/api/agents/${id ?? f.agent}/history`, as: "alice", param: "agent", wrongMethods: ["POST", "PUT", "DELETE", "PATCH"] },
    {
      route: "POST /api/agents/:name/restore",
      method: "POST",
      path: (f, id) => `/api/agents/${id ?? f.agent}/restore`,
      as: "admin",
      body: { n: 1 },
      param: "agent",
      wrongMethods: ["GET", "PUT", "DELETE", "PATCH"],
    },
    { route: "GET /api/tools", method: "GET", path: () => "/api/tools", as: "alice", wrongMethods: ["POST", "PUT", "DELETE", "PATCH"] },
    { route: "GET /api/workflows", method: "GET", path: () => "/api/workflows", as: "alice", wrongMethods: ["POST", "PUT", "DELETE", "PATCH"] },
    { route: "GET /api/workflows/:name", method: "GET", path: (f, id) => `/api/workflows/${id ?? f.workflow}`, as: "alice", param: "workflow", wrongMethods: ["POST", "PUT", "DELETE", "PATCH"] },
    {
      route: "POST /api/workflows/:name/runs",
      method: "POST",
      path: (f, id) => `/api/workflows/${id ?? f.workflow}/runs`,
      as: "alice",
      body: { input: VALID_INPUT },
      param: "workflow",
      wrongMethods: ["GET", "PUT", "DELETE", "PATCH"],
    },
    { route: "GET /api/workflow-runs", method: "GET", path: () => "/api/workflow-runs", as: "alice", wrongMethods: ["POST", "PUT", "DELETE", "PATCH"] },
    { route: "GET /api/workflow-runs/:runId", method: "GET", path: (f, id) => `/api/workflow-runs/${id ?? f.runId}`, as: "alice", param: "run", wrongMethods: ["POST", "PUT", "DELETE", "PATCH"] },
    {
      route: "POST /api/workflow-runs/:runId/cancel",
      method: "POST",
      // The finished run: even a request that slipped through could not stop a live one.
      path: (f, id) => `/api/workflow-runs/${id ?? f.finishedRunId}/cancel`,
      as: "alice",
      param: "run",
      wrongMethods: ["GET", "PUT", "DELETE", "PATCH"],
    },
    { route: "GET /api/mcp-servers", method: "GET", path: () => "/api/mcp-servers", as: "alice", wrongMethods: ["PUT", "DELETE", "PATCH"] },
    { route: "POST /api/mcp-servers", method: "POST", path: () => "/api/mcp-servers", as: "admin", body: VALID_MCP_SERVER, wrongMethods: [] },
    { route: "DELETE /api/mcp-servers/:name", method: "DELETE", path: (_f, id) => `/api/mcp-servers/${id ?? "fuzznone"}`, as: "admin", param: "MCP server", wrongMethods: ["GET", "POST", "PUT", "PATCH"] },
    { route: "GET /api/approvals", method: "GET", path: () => "/api/approvals", as: "alice", wrongMethods: ["PUT", "DELETE", "PATCH"] },
    {
      route: "POST /api/approvals/:approvalId",
      method: "POST",
      path: (f, id) => `/api/approvals/${id ?? f.approvalId}`,
      as: "alice",
      body: { decision: "approve" },
      param: "approval",
      wrongMethods: ["GET", "PUT", "DELETE", "PATCH"],
    },
  ];
}

/** Every REST case, for the fixtures' ids. */
export function restCorpus(f: FuzzFixtures): RestCase[] {
  const cases: RestCase[] = [];
  const routes = routeTable();
  const add = (spec: RouteSpec, kind: string, overrides: Partial<RestCase>) =>
    cases.push({
      route: spec.route,
      kind,
      as: spec.as,
      method: spec.method,
      path: spec.path(f),
      ...(spec.body ? { body: json(spec.body) } : {}),
      ...overrides,
    });

  for (const spec of routes) {
    // Who is calling: nobody, a wrong token, a header that is not a bearer token.
    add(spec, "no token", { as: "none", expect: [401] });
    add(spec, "wrong token", { as: "wrong", expect: [401] });
    // Wrong methods: the path exists, the method does not.
    for (const method of spec.wrongMethods) add(spec, `wrong method ${method}`, { method, expect: [404, 405] });
    // Bad ids in the path, with an otherwise right request.
    if (spec.param) for (const [kind, id] of BAD_IDS) add(spec, `bad ${spec.param} id: ${kind}`, { path: spec.path(f, id) });
    // Bodies that are not what the route reads.
    if (spec.body) for (const shape of bodyShapeCases(spec.body)) add(spec, shape.kind, { body: shape.body, ...(shape.contentType !== undefined ? { contentType: shape.contentType } : {}), ...(shape.headers ? { headers: shape.headers } : {}) });
  }

  const me = routes.find((spec) => spec.route === "GET /api/me") as RouteSpec;
  for (const [kind, authorization] of [
    ["Basic credentials", `Basic ${Buffer.from("admin:admin").toString("base64")}`],
    ["Bearer without a token", "Bearer"],
    ["Bearer and spaces only", "Bearer    "],
    ["token without Bearer", ADMIN_TOKEN],
    ["Bearer twice", `Bearer Bearer ${ADMIN_TOKEN}`],
    ["a 10,000-character token", `Bearer ${"t".repeat(10_000)}`],
    ["the admin token with a suffix", `Bearer ${ADMIN_TOKEN}X`],
    ["the admin token cut short", `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
    ["non-ASCII token", "Bearer t\u00e9st-t\u00f6ken-0123456789"],
  ] as const) {
    add(me, `authorization: ${kind}`, { as: { authorization }, expect: [401] });
  }
  cases.push({ route: "GET /api/health", kind: "wrong method POST", as: "none", method: "POST", path: "/api/health", expect: [401, 404, 405] });
  cases.push({ route: "GET /api/health", kind: "wrong method DELETE", as: "alice", method: "DELETE", path: "/api/health", expect: [404, 405] });
  cases.push({ route: "GET /api/health", kind: "wrong method PUT", as: "alice", method: "PUT", path: "/api/health", body: "{}", expect: [404, 405] });
  cases.push({ route: "GET /api/conversations", kind: "wrong method TRACE", as: "alice", method: "TRACE", path: "/api/conversations", expect: [404, 405] });
  cases.push({ route: "GET /api/conversations", kind: "wrong method PATCH", as: "alice", method: "PATCH", path: "/api/conversations", body: "{}", expect: [404, 405] });
  for (const [kind, path] of [
    ["unknown route", "/api/nothing-here"],
    ["unknown sub-route", `/api/conversations/${f.conversationId}/delete`],
    ["too many segments", `/api/conversations/${f.conversationId}/events/1/2/3`],
    ["double slash", "/api//conversations"],
    ["dot segments", "/api/conversations/../agents/../../etc/passwd"],
    ["encoded dot segments", "/api/%2e%2e/%2e%2e/etc/passwd"],
    ["backslashes", "/api/conversations\\..\\..\\etc\\passwd"],
    ["unicode route", `/api/${enc("cönversations")}`],
  ] as const) {
    cases.push({ route: "unknown /api route", kind, as: "alice", method: "GET", path, expect: [400, 404] });
  }

  const byRoute = (route: string) => routes.find((spec) => spec.route === route) as RouteSpec;
  const body = (route: string, kind: string, value: unknown, expect?: number[]) => add(byRoute(route), kind, { body: json(value), ...(expect ? { expect } : {}) });

  // POST /api/conversations {title?}
  const create = "POST /api/conversations";
  for (const [kind, title] of [
    ["title a number", 5],
    ["title a boolean", true],
    ["title null", null],
    ["title an array", ["a"]],
    ["title an object", { text: "a" }],
    ["title of 201 characters", "t".repeat(201)],
    ["title of 200,000 characters", "t".repeat(200_000)],
  ] as const) {
    body(create, kind, { title });
  }

  // POST /api/conversations/:id/messages {text, clientMsgId?}
  const post = "POST /api/conversations/:id/messages";
  body(post, "missing text", {});
  body(post, "only a clientMsgId", { clientMsgId: "only-an-id" });
  for (const [kind, text] of [
    ["text a number", 42],
    ["text a number too large for an integer", 1e21],
    ["text a boolean", false],
    ["text null", null],
    ["text an array", ["hello"]],
    ["text an object", { text: "hello" }],
    ["text of 8,001 characters", "m".repeat(8_001)],
    ["text of 200,000 characters", "m".repeat(200_000)],
  ] as const) {
    body(post, kind, { text });
  }
  for (const [kind, text] of INVISIBLE_TEXTS) body(post, `invisible-only text: ${kind}`, { text });
  for (const [kind, clientMsgId] of [
    ["clientMsgId empty", ""],
    ["clientMsgId with spaces", "a b c"],
    ["clientMsgId of 65 characters", "c".repeat(65)],
    ["clientMsgId with a slash", "../x"],
    ["clientMsgId a Redis glob", "*"],
    ["clientMsgId a number", 12345],
    ["clientMsgId an object", { id: "x" }],
  ] as const) {
    body(post, kind, { text: "hello there", clientMsgId });
  }
  body(post, "another conversation named in the body", { text: "hello there", conversationId: f.conversationId });

  // GET /api/conversations/:id/events?after=&wait=
  const events = byRoute("GET /api/conversations/:id/events");
  const eventsAt = (query: string) => `/api/conversations/${f.conversationId}/events?${query}`;
  for (const [kind, cursor] of BAD_CURSORS) add(events, `cursor: ${kind}`, { path: eventsAt(`after=${enc(cursor)}`) });
  add(events, "cursor given twice", { path: eventsAt("after=0&after=1-0") });
  // GET /api/conversations/:id/events/stream, resumed from Last-Event-ID or ?after=
  const stream = byRoute("GET /api/conversations/:id/events/stream");
  // A header's surrounding spaces are not part of its value, an empty one is as if none were sent,
  // and a header holds printable ASCII (an HTTP client sends nothing else).
  for (const [kind, cursor] of BAD_CURSORS.filter(([, cursor]) => cursor !== "" && !cursor.startsWith("18446744073709551615-"))) {
    if (/^[!-~]+$/.test(cursor)) add(stream, `Last-Event-ID: ${kind}`, { headers: { "last-event-id": cursor } });
    add(stream, `after: ${kind}`, { path: `${stream.path(f)}?after=${enc(cursor)}` });
  }
  for (const [kind, wait] of [
    ["wait negative", "-1"],
    ["wait above 30,000", "30001"],
    ["wait letters", "soon"],
    ["wait decimal", "1.5"],
    ["wait Infinity", "Infinity"],
    ["wait 1e400", "1e400"],
    ["wait NaN", "NaN"],
  ] as const) {
    add(events, kind, { path: eventsAt(`after=0&wait=${enc(wait)}`) });
  }
  add(events, "wait given twice", { path: eventsAt("after=0&wait=1&wait=2") });

  // Agents: POST /api/agents (the admin, so validation is what refuses)
  const agents = "POST /api/agents";
  body(agents, "missing name", { description: VALID_AGENT.description, instructions: VALID_AGENT.instructions });
  body(agents, "missing description", { name: "fuzz-poet", instructions: "x" });
  body(agents, "missing instructions", { name: "fuzz-poet", description: VALID_AGENT.description });
  for (const [kind, name] of [
    ["name uppercase", "Poet"],
    ["name of one letter", "p"],
    ["name of 33 characters", `p${"o".repeat(32)}`],
    ["name starting with a dash", "-poet"],
    ["name with a space", "po et"],
    ["name __proto__", "__proto__"],
    ["name unicode", "pöet"],
    ["name a number", 7],
    ["name a Redis glob", "poet*"],
    ["name with a colon", "sb:agents"],
  ] as const) {
    body(agents, kind, { ...VALID_AGENT, name });
  }
  for (const [kind, patch] of [
    ["description under 10 characters", { description: "short" }],
    ["description of 1,001 characters", { description: "d".repeat(1_001) }],
    ["description of spaces only", { description: " ".repeat(40) }],
    ["instructions empty", { instructions: "" }],
    ["instructions of 8,001 characters", { instructions: "i".repeat(8_001) }],
    ["model empty", { model: "" }],
    ["model of 101 characters", { model: "m".repeat(101) }],
    ["tools a string", { tools: "calculate" }],
    ["tools unknown", { tools: ["teleport"] }],
    ["tools repeated", { tools: ["calculate", "calculate"] }],
    ["tools 17 of them", { tools: Array.from({ length: 17 }, (_, i) => `tool_${i}`) }],
    ["handoffs to an unknown agent", { handoffs: ["nobody-here"] }],
    ["handoffs to itself", { handoffs: ["fuzz-poet"] }],
    ["handoffs repeated", { handoffs: ["writer", "writer"] }],
    ["enabled as a string", { enabled: "true" }],
    ["enabled as a number", { enabled: 1 }],
    ["fields of the stored spec (source)", { source: "code" }],
    ["fields of the stored spec (v)", { v: 1 }],
  ] as const) {
    body(agents, kind, { ...VALID_AGENT, ...patch });
  }
  body(agents, "an agent that exists (manager)", { ...VALID_AGENT, name: "manager" }, [409]);
  add(byRoute(agents), "not the admin", { as: "alice", expect: [403] });

  // PUT /api/agents/:name
  const put = "PUT /api/agents/:name";
  body(put, "renaming", { ...VALID_UPDATE, name: "someone-else" });
  body(put, "description a number", { ...VALID_UPDATE, description: 12345678901 });
  body(put, "tools unknown", { ...VALID_UPDATE, tools: ["teleport"] });
  body(put, "enabled as a string", { ...VALID_UPDATE, enabled: "false" });
  body(put, "handoffs to itself", { ...VALID_UPDATE, handoffs: [f.agent] });
  add(byRoute(put), "disabling the manager", {
    path: "/api/agents/manager",
    body: json({ description: "Routes each message to the specialist that fits it best.", instructions: "Route.", enabled: false }),
    expect: [403],
  });
  add(byRoute(put), "not the admin", { as: "alice", expect: [403] });

  // DELETE /api/agents/:name
  const del = byRoute("DELETE /api/agents/:name");
  add(del, "deleting the manager", { path: "/api/agents/manager", expect: [403] });
  add(del, "not the admin", { as: "alice", expect: [403] });

  // POST /api/workflows/:name/runs {input, conversationId?}
  const start = "POST /api/workflows/:name/runs";
  body(start, "missing input", {});
  body(start, "input null", { input: null });
  body(start, "input a string", { input: "4411 arrived broken" });
  body(start, "input an array", { input: [VALID_INPUT] });
  body(start, "input orderId a number (a number where a string goes)", { input: { ...VALID_INPUT, orderId: 4413 } });
  body(start, "input orderId not digits", { input: { ...VALID_INPUT, orderId: "../4413" } });
  body(start, "input message too short", { input: { ...VALID_INPUT, message: "x" } });
  body(start, "input message of 2,001 characters", { input: { ...VALID_INPUT, message: "w".repeat(2_001) } });
  body(start, "input missing a field", { input: { orderId: "4413" } });
  body(start, "conversationId malformed", { input: VALID_INPUT, conversationId: "*" });
  body(start, "conversationId a number", { input: VALID_INPUT, conversationId: 12345678 });
  body(start, "conversationId unknown", { input: VALID_INPUT, conversationId: "cDoesNotExist0123" }, [404]);
  const numeric = byRoute(start);
  const numericBody = (kind: string, input: unknown) => add(numeric, kind, { path: `/api/workflows/${f.numericWorkflow}/runs`, body: json({ input }) });
  numericBody("amount as a string (a number as a string)", { orderId: "4411", amount: "25", reason: "It arrived broken." });
  numericBody("amount negative", { orderId: "4411", amount: -5, reason: "It arrived broken." });
  numericBody("amount zero (exclusive minimum)", { orderId: "4411", amount: 0, reason: "It arrived broken." });
  numericBody("amount Infinity-like (1e400 as text)", { orderId: "4411", amount: "1e400", reason: "It arrived broken." });
  numericBody("orderId with letters", { orderId: "44a1", amount: 25, reason: "It arrived broken." });
  // Its schema forbids other fields (additionalProperties: false); order-triage's allows them.
  numericBody("input with an extra field", { orderId: "4411", amount: 25, reason: "It arrived broken.", admin: true });
  numericBody("input with __proto__", JSON.parse('{"orderId":"4411","amount":25,"reason":"It arrived broken.","__proto__":{"admin":true}}') as unknown);

  // GET /api/workflow-runs?workflow=&limit=
  const runs = byRoute("GET /api/workflow-runs");
  for (const [kind, query] of [
    ["workflow uppercase", "workflow=Order-Triage"],
    ["workflow a Redis glob", "workflow=*"],
    ["workflow traversal", `workflow=${enc("../x")}`],
    ["workflow given twice", "workflow=a1&workflow=b2"],
    ["limit zero", "limit=0"],
    ["limit above 500", "limit=501"],
    ["limit negative", "limit=-1"],
    ["limit letters", "limit=all"],
    ["limit decimal", "limit=1.5"],
    ["limit given twice", "limit=1&limit=2"],
  ] as const) {
    add(runs, kind, { path: `/api/workflow-runs?${query}` });
  }

  // POST /api/workflow-runs/:runId/cancel on a run that has ended
  add(byRoute("POST /api/workflow-runs/:runId/cancel"), "cancelling a run that has ended", { expect: [409] });

  // GET /api/approvals?status=
  const approvals = byRoute("GET /api/approvals");
  for (const [kind, query] of [
    ["status unknown", "status=maybe"],
    ["status empty", "status="],
    ["status uppercase", "status=PENDING"],
    ["status given twice", "status=pending&status=approved"],
    ["status __proto__", "status=__proto__"],
  ] as const) {
    add(approvals, kind, { path: `/api/approvals?${query}` });
  }

  // POST /api/approvals/:approvalId {decision, comment?}
  const decide = "POST /api/approvals/:approvalId";
  body(decide, "missing decision", {});
  body(decide, "only a comment", { comment: "fine" });
  for (const [kind, decision] of [
    ["decision unknown", "maybe"],
    ["decision empty", ""],
    ["decision uppercase", "APPROVE"],
    ["decision past tense", "approved"],
    ["decision a boolean", true],
    ["decision a number", 1],
    ["decision null", null],
    ["decision an array", ["approve"]],
    ["decision an object", { decision: "approve" }],
  ] as const) {
    body(decide, kind, { decision });
  }
  body(decide, "comment of 2,001 characters", { decision: "approve", comment: "c".repeat(2_001) });
  body(decide, "comment a number", { decision: "approve", comment: 42 });
  body(decide, "decided by someone named in the body", { decision: "approve", by: "bob" });
  body(decide, "status in the body", { decision: "approve", status: "approved" });
  add(byRoute(decide), "an approval already decided", { path: `/api/approvals/${f.decidedApprovalId}`, body: json({ decision: "reject" }), expect: [409] });


  // POST /api/mcp-servers {name, url, headers?}: HTTP servers only, by the admin.
  const mcp = "POST /api/mcp-servers";
  for (const [kind, value] of [
    ["a stdio server (command)", { name: "fuzzstdio", command: "sh", args: ["-c", "echo pwned"] }],
    ["env beside a url", { ...VALID_MCP_SERVER, env: { PATH: "/tmp" } }],
    ["no url", { name: "fuzztools" }],
    ["no name", { url: VALID_MCP_SERVER.url }],
    ["url a file", { ...VALID_MCP_SERVER, url: "file:///etc/passwd" }],
    ["url javascript:", { ...VALID_MCP_SERVER, url: "javascript:alert(1)" }],
    ["url not a url", { ...VALID_MCP_SERVER, url: "not a url" }],
    ["url a number", { ...VALID_MCP_SERVER, url: 80 }],
    ["name with spaces", { ...VALID_MCP_SERVER, name: "fuzz tools" }],
    ["name with a colon", { ...VALID_MCP_SERVER, name: "fuzz:tools" }],
    ["name 200 characters", { ...VALID_MCP_SERVER, name: "f".repeat(200) }],
    ["name empty", { ...VALID_MCP_SERVER, name: "" }],
    ["headers an array", { ...VALID_MCP_SERVER, headers: ["authorization: x"] }],
    ["header value a number", { ...VALID_MCP_SERVER, headers: { "x-key": 5 } }],
    ["header name with CR LF", { ...VALID_MCP_SERVER, headers: { "x-a\r\nx-b": "1" } }],
    ["header value with CR LF", { ...VALID_MCP_SERVER, headers: { "x-a": "1\r\nx-b: 2" } }],
    ["timeoutMs negative", { ...VALID_MCP_SERVER, timeoutMs: -1 }],
    ["timeoutMs a string", { ...VALID_MCP_SERVER, timeoutMs: "soon" }],
  ] as const) {
    body(mcp, kind, value);
  }
  add(byRoute(mcp), "as a user, not the admin", { as: "alice", expect: [403] });
  add(byRoute("DELETE /api/mcp-servers/:name"), "as a user, not the admin", { as: "alice", expect: [403] });
  return cases;
}

/**
 * Requests that pass validation and are then refused, repeated past each limit's default (60
 * messages, 30 agent changes and 30 workflow runs a minute per token): a refused request must not
 * use up an allowance (docs/security.md), so none of them may come back 429.
 */
export function repeatedCorpus(f: FuzzFixtures): RestCase[] {
  const cases: RestCase[] = [];
  for (let i = 0; i < 61; i++) {
    cases.push({
      route: "POST /api/conversations/:id/messages",
      kind: "refused past the message limit: a message to someone else's conversation",
      as: "alice",
      method: "POST",
      path: `/api/conversations/${f.othersConversationId}/messages`,
      body: json({ text: `message ${i}` }),
      expect: [404],
    });
  }
  for (let i = 0; i < 31; i++) {
    cases.push({
      route: "POST /api/workflows/:name/runs",
      kind: "refused past the workflow-run limit: a run in someone else's conversation",
      as: "alice",
      method: "POST",
      path: `/api/workflows/${f.workflow}/runs`,
      body: json({ input: VALID_INPUT, conversationId: f.othersConversationId }),
      expect: [404],
    });
    cases.push({
      route: "POST /api/agents",
      kind: "refused past the agent-change limit: an agent that exists",
      as: "admin",
      method: "POST",
      path: "/api/agents",
      body: json({ ...VALID_AGENT, name: f.agent }),
      expect: [409],
    });
  }
  return cases;
}

/** Paths outside /api that try to reach files beside the page. */
export function staticCorpus(): StaticCase[] {
  return [
    { kind: "traversal from an asset", path: "/assets/..%2F..%2F..%2Fpackage.json" },
    { kind: "traversal with dots", path: "/assets/../../package.json" },
    { kind: "double-encoded traversal", path: "/assets/%252e%252e/%252e%252e/package.json" },
    { kind: "traversal to /etc/passwd", path: "/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd" },
    { kind: "a source file by name", path: "/server/auth.ts" },
    { kind: "a dotfile", path: "/.env" },
    { kind: "NUL in a path", path: "/assets/index.js%00.html" },
    { kind: "backslash traversal", path: "/assets/..\\..\\package.json" },
  ];
}

const SOCKET_PAYLOAD_SHAPES: [string, unknown][] = [
  ["no payload (undefined)", undefined],
  ["null", null],
  ["a string", "hello"],
  ["a number", 42],
  ["a boolean", true],
  ["an array", []],
  ["an empty object", {}],
  ["deeply nested (1,000 levels)", JSON.parse(deeplyNested(1_000)) as unknown],
];

/** Every Socket.IO case for the fixtures' ids. */
export function socketCorpus(f: FuzzFixtures): SocketCase[] {
  const cases: SocketCase[] = [];
  const proto = (value: Record<string, unknown>) => JSON.parse(`${json(value).slice(0, -1)},"__proto__":{"admin":true,"polluted":"yes"}}`) as unknown;

  // conversation:join {conversationId, after?}
  const join = (kind: string, payload: unknown, codes?: string[]) => cases.push({ event: "conversation:join", kind, args: [payload], ack: true, ...(codes ? { codes } : {}) });
  for (const [kind, payload] of SOCKET_PAYLOAD_SHAPES) join(kind, payload);
  join("conversationId a number", { conversationId: 12345678 });
  join("conversationId an object", { conversationId: { $ne: null } });
  for (const [kind, id] of BAD_IDS) join(`bad conversation id: ${kind}`, { conversationId: decodeSafely(id) });
  for (const [kind, cursor] of BAD_CURSORS) join(`cursor: ${kind}`, { conversationId: f.conversationId, after: cursor });
  join("cursor a number", { conversationId: f.conversationId, after: 0 });
  join("extra field", { conversationId: f.conversationId, admin: true });
  join("prototype pollution: __proto__", proto({ conversationId: f.conversationId }));
  join("prototype pollution: constructor.prototype", { conversationId: f.conversationId, constructor: { prototype: { admin: true } } });

  // conversation:leave {conversationId}: no acknowledgement; it must change nothing and drop nothing.
  const leave = (kind: string, payload: unknown) => cases.push({ event: "conversation:leave", kind, args: [payload], ack: false });
  for (const [kind, payload] of SOCKET_PAYLOAD_SHAPES) leave(kind, payload);
  leave("conversationId a number", { conversationId: 5 });
  leave("conversationId a Redis glob", { conversationId: "*" });
  leave("conversationId __proto__", { conversationId: "__proto__" });
  leave("prototype pollution: __proto__", proto({ conversationId: "x" }));

  // message:send {conversationId, text, clientMsgId}
  const send = (kind: string, payload: unknown) => cases.push({ event: "message:send", kind, args: [payload], ack: true });
  const good = { conversationId: f.conversationId, text: "hello there", clientMsgId: "fuzz-send" };
  for (const [kind, payload] of SOCKET_PAYLOAD_SHAPES) send(kind, payload);
  send("missing text", { conversationId: f.conversationId, clientMsgId: "fuzz-a" });
  send("missing clientMsgId", { conversationId: f.conversationId, text: "hello there" });
  send("missing conversationId", { text: "hello there", clientMsgId: "fuzz-b" });
  for (const [kind, text] of [
    ["text a number", 42],
    ["text null", null],
    ["text an array", ["hello"]],
    ["text an object", { text: "hello" }],
    ["text of 8,001 characters", "m".repeat(8_001)],
  ] as const) {
    send(kind, { ...good, text });
  }
  for (const [kind, text] of INVISIBLE_TEXTS) send(`invisible-only text: ${kind}`, { ...good, text });
  for (const [kind, clientMsgId] of [
    ["clientMsgId empty", ""],
    ["clientMsgId with spaces", "a b"],
    ["clientMsgId of 65 characters", "c".repeat(65)],
    ["clientMsgId a number", 7],
  ] as const) {
    send(kind, { ...good, clientMsgId });
  }
  for (const [kind, id] of BAD_IDS.filter(([kind]) => !kind.startsWith("huge"))) send(`bad conversation id: ${kind}`, { ...good, conversationId: decodeSafely(id) });
  send("extra field", { ...good, admin: true });
  send("prototype pollution: __proto__", proto(good));
  send("prototype pollution: constructor.prototype", { ...good, constructor: { prototype: { admin: true } } });
  cases.push({ event: "message:send", kind: "no acknowledgement asked for, bad text", args: [{ ...good, text: "\u200b" }], ack: false });
  cases.push({ event: "message:send", kind: "no acknowledgement asked for, bad id", args: [{ ...good, conversationId: "*" }], ack: false });

  // approval:decide {approvalId, decision, comment?}
  const decide = (kind: string, payload: unknown, codes?: string[]) => cases.push({ event: "approval:decide", kind, args: [payload], ack: true, ...(codes ? { codes } : {}) });
  const decision = { approvalId: f.approvalId, decision: "approve" };
  for (const [kind, payload] of SOCKET_PAYLOAD_SHAPES) decide(kind, payload);
  decide("missing decision", { approvalId: f.approvalId });
  decide("missing approvalId", { decision: "approve" });
  for (const [kind, value] of [
    ["decision unknown", "maybe"],
    ["decision uppercase", "APPROVE"],
    ["decision a boolean", true],
    ["decision null", null],
    ["decision an array", ["approve"]],
  ] as const) {
    decide(kind, { ...decision, decision: value });
  }
  for (const [kind, approvalId] of [
    ["approvalId empty", ""],
    ["approvalId a space", " "],
    ["approvalId with a newline", "ap\nx"],
    ["approvalId of 257 characters", "a".repeat(257)],
    ["approvalId non-ASCII", "äpprövål"],
    ["approvalId a number", 5],
    ["approvalId a Redis glob", "*"],
    ["approvalId __proto__", "__proto__"],
  ] as const) {
    decide(kind, { ...decision, approvalId });
  }
  decide("comment of 2,001 characters", { ...decision, comment: "c".repeat(2_001) });
  decide("comment a number", { ...decision, comment: 42 });
  decide("decided by someone named in the payload", { ...decision, by: "bob" });
  decide("prototype pollution: __proto__", proto(decision));
  decide("an approval already decided", { approvalId: f.decidedApprovalId, decision: "reject" }, ["already_decided"]);

  // turn:stop, message:retry, message:edit: the fixture's turns have ended, and no message has id 1-0.
  const control = (event: string, kind: string, payload: unknown, codes?: string[]) => cases.push({ event, kind, args: [payload], ack: true, ...(codes ? { codes } : {}) });
  for (const event of ["turn:stop", "message:retry", "message:edit"]) {
    for (const [kind, payload] of SOCKET_PAYLOAD_SHAPES) control(event, kind, payload);
    for (const [kind, id] of BAD_IDS) control(event, `bad conversation id: ${kind}`, { conversationId: decodeSafely(id), eventId: "1-0", text: "again", clientMsgId: "fuzz-c" });
    control(event, "prototype pollution: __proto__", proto({ conversationId: f.conversationId, eventId: "1-0", clientMsgId: "fuzz-d" }));
  }
  control("turn:stop", "nothing running", { conversationId: f.conversationId }, ["no_running_turn"]);
  for (const event of ["message:retry", "message:edit"]) {
    const base = { conversationId: f.conversationId, eventId: "1-0", text: "again", clientMsgId: "fuzz-e" };
    control(event, "a message that does not exist", event === "message:retry" ? { conversationId: base.conversationId, eventId: "1-0", clientMsgId: "fuzz-e" } : base, ["unknown_message"]);
    control(event, "eventId not a stream id", { ...base, eventId: "yesterday" });
    control(event, "eventId a number", { ...base, eventId: 5 });
  }
  control("message:edit", "invisible-only text", { conversationId: f.conversationId, eventId: "1-0", text: "\u200b\u200b", clientMsgId: "fuzz-f" });

  // The acknowledgement where the payload goes, or after an extra argument.
  cases.push({ event: "message:send", kind: "only an acknowledgement, no payload", args: [], ack: true });
  cases.push({ event: "approval:decide", kind: "only an acknowledgement, no payload", args: [], ack: true });
  cases.push({ event: "conversation:join", kind: "only an acknowledgement, no payload", args: [], ack: true });
  cases.push({ event: "message:send", kind: "an extra argument before the acknowledgement", args: [{ ...good, text: "\u200b" }, "extra"], ack: true });
  cases.push({ event: "approval:decide", kind: "an extra argument before the acknowledgement", args: [{ ...decision, decision: "maybe" }, { extra: true }], ack: true });

  // Events that do not exist.
  for (const name of ["admin:delete", "conversation:delete", "message:edit", "error", "__proto__", "constructor", "toString", "hasOwnProperty", "x".repeat(5_000)]) {
    cases.push({ event: name.length > 40 ? "a 5,000-character event name" : name, kind: "unknown event", args: [{ conversationId: f.conversationId }], ack: true });
  }
  return cases;
}

/** Handshakes with bad credentials or a namespace that does not exist. */
export function handshakeCorpus(): HandshakeCase[] {
  return [
    { kind: "no auth", auth: {} },
    { kind: "token empty", auth: { token: "" } },
    { kind: "token a number", auth: { token: 1234567890123456 } },
    { kind: "token an object", auth: { token: { $ne: null } } },
    { kind: "token an array", auth: { token: [ADMIN_TOKEN] } },
    { kind: "token wrong", auth: { token: "wrong-token-0123456789" } },
    { kind: "token with Bearer", auth: { token: `Bearer ${ADMIN_TOKEN}` } },
    { kind: "token of 100,000 characters", auth: { token: "t".repeat(100_000) } },
    { kind: "token with a NUL", auth: { token: `${ADMIN_TOKEN}\u0000` } },
    { kind: "token under __proto__", auth: JSON.parse(`{"__proto__":{"token":"${ADMIN_TOKEN}"}}`) as unknown },
    { kind: "a namespace that does not exist", auth: { token: ADMIN_TOKEN }, namespace: "/admin" },
  ];
}

/** Frames that are not Socket.IO packets Switchboard accepts. */
export function frameCorpus(f: FuzzFixtures): FrameCase[] {
  return [
    { kind: "invalid JSON in an event", frame: `42["message:send",{"conversationId":"${f.conversationId}",` },
    { kind: "event packet without data", frame: "42" },
    { kind: "event data an object, not an array", frame: '42{"conversationId":"x"}' },
    { kind: "reserved event name (connect)", frame: '42["connect",{}]' },
    { kind: "reserved event name (disconnect)", frame: '42["disconnect"]' },
    { kind: "unknown packet type", frame: '49["message:send",{}]' },
    { kind: "binary event whose attachment never comes, then text", frame: '451-["message:send",{"_placeholder":true,"num":0}]' },
    { kind: "not Socket.IO at all", frame: "GET / HTTP/1.1" },
  ];
}

/** Ids above are written for a URL path; a socket payload carries them decoded. */
function decodeSafely(id: string): string {
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

/** A bad request to a JSON-RPC endpoint: the team as an MCP server (`/mcp`) or as an A2A agent (`/a2a`). */
export interface JsonRpcCase {
  endpoint: "/mcp" | "/a2a";
  kind: string;
  as: Caller;
  method: string;
  body?: string;
  /** `null` sends none; application/json when absent and there is a body. */
  contentType?: string | null;
  /** The statuses allowed; any status below 500 but 429 when absent (JSON-RPC refuses with 200 and an error). */
  expect?: number[];
}

/**
 * Bad JSON-RPC for both endpoints: the envelope (not JSON, not an object, wrong version, no or odd
 * method, odd ids and params), the transport (methods, content types, sizes, tokens), and calls
 * that are well-formed JSON-RPC with arguments the team must refuse. Each must come back as an
 * error that says why — `{error: {code, message}}` from Switchboard, a JSON-RPC error, or an MCP
 * tool result marked `isError` — and none may start anything.
 */
export function jsonRpcCorpus(f: FuzzFixtures): JsonRpcCase[] {
  const cases: JsonRpcCase[] = [];
  const call = (method: string, params: unknown, id: unknown = 1) => json({ jsonrpc: "2.0", id, method, params });
  for (const endpoint of ["/mcp", "/a2a"] as const) {
    const add = (kind: string, body: string | undefined, more: Partial<JsonRpcCase> = {}) =>
      cases.push({ endpoint, kind, as: "alice", method: "POST", ...(body === undefined ? {} : { body }), ...more });
    const valid = endpoint === "/mcp" ? call("tools/list", {}) : call("tasks/get", { id: "t-none" });
    add("no token", valid, { as: "none", expect: [401] });
    add("wrong token", valid, { as: "wrong", expect: [401] });
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) add(`wrong method ${method}`, undefined, { method, expect: [404, 405] });
    add("invalid JSON: unclosed", "{");
    add("invalid JSON: a NUL byte", "\u0000");
    add("empty body", "");
    add("JSON null", "null");
    add("JSON number", "5");
    add("JSON string", '"tools/list"');
    add("empty batch", "[]");
    add("jsonrpc 1.0", json({ jsonrpc: "1.0", id: 1, method: "tools/list" }));
    add("no jsonrpc", json({ id: 1, method: "tools/list" }));
    add("no method", json({ jsonrpc: "2.0", id: 1 }));
    add("method a number", json({ jsonrpc: "2.0", id: 1, method: 7 }));
    add("unknown method", call("nothing/here", {}));
    add("prototype method", call("__proto__", {}));
    add("id an object", call(endpoint === "/mcp" ? "tools/list" : "tasks/get", {}, { $ne: null }));
    add("params a string", call(endpoint === "/mcp" ? "tools/call" : "message/send", "params"));
    add("wrong content-type: text/plain", valid, { contentType: "text/plain" });
    add("no content-type", valid, { contentType: null });
    add("oversized body (5 MB)", call(endpoint === "/mcp" ? "tools/list" : "tasks/get", { padding: "x".repeat(5_000_000) }));
    add("deeply nested JSON (50,000 levels)", `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":${deeplyNested(50_000)}}`);
    add(
      "prototype pollution in params",
      endpoint === "/mcp"
        ? `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ask_team","arguments":{"__proto__":{"admin":true}}}}`
        : `{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"__proto__":{"admin":true}}}`,
    );
  }
  const mcp = (kind: string, name: string, args: unknown) =>
    cases.push({ endpoint: "/mcp", kind, as: "alice", method: "POST", body: call("tools/call", { name, arguments: args }) });
  mcp("tools/call of an unknown tool", "rm_rf", {});
  mcp("ask_team without a message", "ask_team", {});
  mcp("ask_team with a number for message", "ask_team", { message: 42 });
  mcp("ask_team with an invisible message", "ask_team", { message: "\u200b\u200b " });
  mcp("ask_team in someone else's conversation", "ask_team", { message: "hello", conversationId: f.othersConversationId });
  mcp("ask_team in a conversation id that is a Redis pattern", "ask_team", { message: "hello", conversationId: "sb:conv:*" });
  mcp("ask_team with an extra argument", "ask_team", { message: "hello", admin: true });
  mcp(`run_${f.numericWorkflow} with input that breaks its schema`, `run_${f.numericWorkflow}`, { amount: "a lot", orderId: "<script>" });
  const a2a = (kind: string, method: string, params: unknown) => cases.push({ endpoint: "/a2a", kind, as: "alice", method: "POST", body: call(method, params) });
  const message = (more: Record<string, unknown>) => ({ message: { kind: "message", role: "user", messageId: "m-fuzz-1", parts: [{ kind: "text", text: "hello" }], ...more } });
  a2a("message/send without a message", "message/send", {});
  a2a("message/send with parts not a list", "message/send", message({ parts: "hello" }));
  a2a("message/send with no parts", "message/send", message({ parts: [] }));
  a2a("message/send with only an invisible text", "message/send", message({ parts: [{ kind: "text", text: "\u200b \u2060" }] }));
  a2a("message/send with a part of an unknown kind", "message/send", message({ parts: [{ kind: "hologram", text: "hello" }] }));
  a2a("message/send in someone else's conversation", "message/send", message({ contextId: f.othersConversationId }));
  a2a("message/send in a context id that is a Redis pattern", "message/send", message({ contextId: "sb:conv:*" }));
  a2a("message/send continuing a task that does not exist", "message/send", message({ taskId: "t-does-not-exist" }));
  a2a("message/stream without a message", "message/stream", {});
  a2a("tasks/get of an unknown task", "tasks/get", { id: "t-does-not-exist" });
  a2a("tasks/get with an id that is a Redis pattern", "tasks/get", { id: "*" });
  a2a("tasks/cancel of an unknown task", "tasks/cancel", { id: "t-does-not-exist" });
  a2a("tasks/get with historyLength negative", "tasks/get", { id: "t-does-not-exist", historyLength: -1 });
  return cases;
}
