import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import dotenv from "dotenv";
import type { Event } from "../shared/events.js";
import { turnFinished } from "../shared/turn-status.js";

/**
 * `npm run chat -- "question"`: a terminal client over the public REST contract. It posts the
 * message and prints the team's events as they arrive. With no question it keeps a conversation
 * open and reads one message per line.
 */
dotenv.config({ quiet: true });
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string" },
    token: { type: "string" },
    conversation: { type: "string", short: "c" },
    timeout: { type: "string", default: "120" },
  },
});

const endpointFile = path.join(process.env.SWITCHBOARD_DATA_DIR ?? ".data", "endpoint.json");
const saved = existsSync(endpointFile) ? (JSON.parse(readFileSync(endpointFile, "utf8")) as { url?: string; token?: string }) : {};
const baseUrl = values.url ?? process.env.SWITCHBOARD_URL ?? saved.url ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
const token = values.token ?? process.env.SWITCHBOARD_TOKEN ?? saved.token;
const timeoutMs = Number(values.timeout) * 1000;
const color = process.stdout.isTTY ? (code: number, text: string) => `\u001b[${code}m${text}\u001b[0m` : (_: number, text: string) => text;

class ChatError extends Error {}

async function call(method: string, route: string, body?: unknown): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${token ?? ""}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ChatError(`Cannot reach Switchboard at ${baseUrl}. Is it running (npm start)? Use --url to point elsewhere.`);
  }
  const payload = (await response.json()) as Record<string, unknown> & { error?: { message?: string } };
  if (!response.ok) throw new ChatError(`${response.status}: ${payload.error?.message ?? "request failed"}`);
  return payload;
}

function describe(event: Event): string | undefined {
  const who = event.agent ?? "";
  switch (event.type) {
    case "message.user":
      return `${color(1, "you")} › ${event.data.text}`;
    case "run.started":
      return color(2, `▸ ${who} is working (${event.data.mode}, model ${event.data.model})`);
    case "handoff":
      return color(36, `⇢ ${event.data.from} → ${event.data.to} (${event.data.mode}): ${event.data.reason}`);
    case "handoff.return":
      return color(36, `⇠ ${event.data.from} → ${event.data.to}: ${event.data.status}`);
    case "tool.call":
      return color(33, `  ⚙ ${who} calls ${event.data.tool} ${JSON.stringify(event.data.args)}`);
    case "tool.result": {
      const answer = (event.data.result as { answer?: unknown } | undefined)?.answer;
      const shown = event.data.ok ? (typeof answer === "string" ? answer : JSON.stringify(event.data.result)) : `error: ${event.data.error}`;
      return color(33, `  ⚙ ${event.data.tool} → ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}`);
    }
    case "message.agent":
      return `${color(1, who)} › ${event.data.text}`;
    case "run.completed":
      return color(2, `✓ ${who} done: ${event.data.usage.totalTokens} tokens, ${event.data.latencyMs} ms, $${event.data.costUsd.toFixed(4)}`);
    case "run.failed":
      return color(31, `✗ ${who} failed (${event.data.code}): ${event.data.reason}`);
    default:
      return color(2, `· ${event.type} ${JSON.stringify(event.data)}`);
  }
}

async function ask(conversationId: string, text: string): Promise<void> {
  const { eventId } = (await call("POST", `/api/conversations/${conversationId}/messages`, { text })) as { eventId: string };
  const turn: Event[] = [];
  // Start just before our message so it is printed too, then follow the log by long polling.
  let cursor = previousId(eventId);
  const deadline = Date.now() + timeoutMs;
  while (!turnFinished(turn)) {
    if (Date.now() > deadline) throw new ChatError(`No answer within ${values.timeout} s; the conversation id is ${conversationId}.`);
    const { events } = (await call("GET", `/api/conversations/${conversationId}/events?after=${cursor}&wait=15000`)) as { events: Event[] };
    for (const event of events) {
      const line = describe(event);
      if (line) process.stdout.write(`${line}\n`);
      if (event.id !== eventId) turn.push(event);
      cursor = event.id;
    }
  }
}

function previousId(id: string): string {
  const [ms = "0", seq = "0"] = id.split("-");
  return Number(seq) > 0 ? `${ms}-${Number(seq) - 1}` : `${BigInt(ms) - 1n}-${Number.MAX_SAFE_INTEGER}`;
}

async function main(): Promise<void> {
  if (!token) throw new ChatError("No access token: pass --token, set SWITCHBOARD_TOKEN, or start Switchboard here first (npm start).");
  const conversationId = values.conversation ?? ((await call("POST", "/api/conversations", {})) as { id: string }).id;
  const question = positionals.join(" ").trim();
  if (question) return ask(conversationId, question);
  process.stdout.write(color(2, `Conversation ${conversationId}. Type a message; an empty line or Ctrl+D ends.\n`));
  const lines = createInterface({ input: process.stdin, output: process.stdout, prompt: "› " });
  lines.prompt();
  for await (const line of lines) {
    if (line.trim() === "") break;
    await ask(conversationId, line);
    lines.prompt();
  }
  lines.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ChatError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
