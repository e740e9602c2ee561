import { z } from "zod";

/**
 * MCP servers whose tools the agents use. A server's tools are named `<server>_<tool>`, so a
 * server's name has no `_` (the first one ends it) and a spec may name all of its tools as
 * `<server>_*`.
 */
export const McpServerName = z.string().regex(/^[a-z][a-z0-9]{1,23}$/, "2–24 characters: lowercase letters or digits, starting with a letter");

/** How long one tool call may take unless the server's entry says otherwise. */
export const DEFAULT_MCP_TIMEOUT_MS = 30_000;

const timeoutMs = z.number().int().min(100).max(600_000).optional();

const HttpUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((text) => URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol), "an http:// or https:// URL");

/** A header value may not break the request it is sent in: no line breaks, no NUL. */
const HeaderValue = z.string().max(4000).regex(/^[^\r\n\0]*$/, "a header value on one line");
const Headers = z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "a header name"), HeaderValue).refine((headers) => Object.keys(headers).length <= 20, "at most 20 headers");

/** A streamable-HTTP server: what `POST /api/mcp-servers` takes, and a catalog file may declare. */
export const McpHttpServerInput = z
  .object({ name: McpServerName, url: HttpUrl, headers: Headers.default({}), timeoutMs })
  .strict();
export type McpHttpServerInput = z.output<typeof McpHttpServerInput>;

/** A stdio server: a command an agents process starts. Only catalog files declare these. */
export const McpStdioServerInput = z
  .object({
    name: McpServerName,
    command: z.string().trim().min(1).max(500),
    args: z.array(z.string().max(2000)).max(100).default([]),
    env: z.record(z.string(), z.string()).default({}),
    timeoutMs,
  })
  .strict();
export type McpStdioServerInput = z.output<typeof McpStdioServerInput>;

/** A catalog file with `kind: mcp-server`: a command (stdio) or a URL (streamable HTTP). */
export type McpServerConfig = McpStdioServerInput | McpHttpServerInput;

export const MCP_SERVER_VERSION = 1;

/** An HTTP server added through the API, as Redis keeps it (headers included: they are its credentials). */
export const StoredMcpServer = McpHttpServerInput.extend({
  v: z.literal(MCP_SERVER_VERSION),
  addedBy: z.string(),
  addedAt: z.string(),
});
export type StoredMcpServer = z.infer<typeof StoredMcpServer>;

export const McpConnectionState = z.enum(["connecting", "connected", "failed"]);
export type McpConnectionState = z.infer<typeof McpConnectionState>;

/** One tool of a server: the name agents use, the server's own name for it, what it says it does. */
export const McpToolView = z.object({ name: z.string(), tool: z.string(), description: z.string() });
export type McpToolView = z.infer<typeof McpToolView>;

/**
 * A server as an agents process last saw it, published for `GET /api/mcp-servers`. Header values
 * are never part of it: `headers` lists their names.
 */
export const McpServerStatus = z.object({
  v: z.literal(MCP_SERVER_VERSION),
  name: McpServerName,
  transport: z.enum(["stdio", "http"]),
  source: z.enum(["catalog", "api"]),
  /** The URL of an HTTP server, the command line of a stdio one. */
  target: z.string(),
  headers: z.array(z.string()).default([]),
  state: McpConnectionState,
  /** Why it is not connected (connecting again, or failed for now). */
  reason: z.string().optional(),
  tools: z.array(McpToolView),
  lastError: z.object({ message: z.string(), at: z.string() }).optional(),
  /** When the state last changed. */
  at: z.string(),
  /** How many times the reporting process has connected to it: more than 1 means it reconnected. */
  connections: z.number().int().nonnegative(),
  /** The agents process that reported it. */
  reportedBy: z.string(),
});
export type McpServerStatus = z.infer<typeof McpServerStatus>;

/** `GET /api/mcp-servers`: every server, with its state as last reported. */
export interface McpServerView {
  name: string;
  transport: "stdio" | "http";
  source: "catalog" | "api";
  target: string;
  /** Names of the headers sent; their values stay in Redis. */
  headers: string[];
  state: McpConnectionState | "unknown";
  reason?: string;
  tools: McpToolView[];
  lastError?: { message: string; at: string };
  at?: string;
  connections: number;
  addedBy?: string;
}

/** `<server>_*`: every tool the server offers when the run starts. */
export const McpToolPattern = z.string().regex(/^[a-z][a-z0-9]{1,23}_\*$/, "<server>_*");

/** The server of a `<server>_*` pattern; undefined for a plain tool name. */
export function patternServer(name: string): string | undefined {
  return McpToolPattern.safeParse(name).success ? name.slice(0, -2) : undefined;
}

/** The name agents use for a server's tool: "everything" + "get-sum" → "everything_get_sum". */
export function mcpToolName(server: string, tool: string): string {
  return `${server}_${tool.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`;
}
