import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import dotenv from "dotenv";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { formatCost } from "../shared/cost.js";
import type { Approval } from "../shared/approval.js";
import type { Event, Usage } from "../shared/events.js";
import { turnFinished } from "../shared/turn-status.js";

/**
 * `npm run chat -- "question"`: a terminal client over the public REST contract. It posts the
 * message and prints the team's events as they arrive (server-sent events, one request per follow). With no question it keeps a conversation
 * open and reads one message per line.
 *
 * `npm run chat -- --workflow <name> '<json input>'` starts a workflow run and follows it step by
 * step to its output; `--approve <id>` and `--reject <id> [comment]` decide what a run waits for.
 */
dotenv.config({ quiet: true });
const USAGE = `Usage:
  npm run chat -- [-c <conversationId>] ["question"]
  npm run chat -- --workflow <name> '<json input>' [-c <conversationId>]
  npm run chat -- --approve <approvalId> [comment]
  npm run chat -- --reject <approvalId> [comment]
Options: --url <server url>, --token <access token>, --timeout <seconds without news> (default 120)`;

function readArguments() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        conversation: { type: "string", short: "c" },
        timeout: { type: "string", default: "120" },
        workflow: { type: "string", short: "w" },
        approve: { type: "string" },
        reject: { type: "string" },
      },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
}
const { values, positionals } = readArguments();

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

/** The model each run started on, so a run on the offline model reads "free" when it completes. */
const runModels = new Map<string, string>();
/** The models a workflow run's steps called (its llm steps and its agents' runs), for its total's cost. */
const workflowModels = new Map<string, Set<string | undefined>>();

function describe(event: Event): string | undefined {
  const who = event.agent ?? "";
  switch (event.type) {
    case "message.user":
      return `${color(1, "you")} › ${event.data.text}`;
    case "run.started":
      if (event.runId) runModels.set(event.runId, event.data.model);
      if (event.data.parentRunId) workflowModels.get(event.data.parentRunId)?.add(event.data.model);
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
      return color(2, `✓ ${who} done: ${event.data.usage.totalTokens} tokens, ${event.data.latencyMs} ms, ${formatCost(event.data.costUsd, runModels.get(event.runId ?? ""))}`);
    case "run.failed":
      return color(31, `✗ ${who} failed (${event.data.code}): ${event.data.reason}`);
    case "run.cancelled":
      return color(33, `■ ${who} stopped by ${event.data.by}`);
    case "workflow.started": {
      if (event.runId) workflowModels.set(event.runId, new Set());
      const { min, max } = event.data.budget.modelCalls;
      return color(35, `▶ workflow ${event.data.workflow} (${event.data.version}) started: ${min}–${max} model calls`);
    }
    case "workflow.step":
      if (event.data.model !== undefined) workflowModels.get(event.runId ?? "")?.add(event.data.model);
      return stepLine(event.data);
    case "workflow.completed": {
      const output = typeof event.data.output === "string" ? event.data.output : JSON.stringify(event.data.output, null, 2);
      const stopped = event.data.stopped ? color(33, `■ stopped at ${event.data.stopped.path}: ${event.data.stopped.reason}\n`) : "";
      return `${stopped}${color(1, "output")} › ${output}\n${color(35, `■ ${event.data.workflow} completed: ${totals(event.data, workflowModels.get(event.runId ?? ""))}`)}`;
    }
    case "workflow.failed":
      return color(31, `✗ workflow ${event.data.workflow} failed (${event.data.code}${event.data.path ? ` at ${event.data.path}` : ""}): ${event.data.reason}\n  ${totals(event.data, workflowModels.get(event.runId ?? ""))}`);
    case "approval.requested": {
      const id = event.data.approvalId;
      const timeout = event.data.timeoutAt ? `; at ${event.data.timeoutAt} it is ${event.data.onTimeout === "approve" ? "approved" : "rejected"} by default` : "";
      return [
        color(33, `? approval needed: ${event.data.title}${timeout}`),
        color(33, `  ${JSON.stringify(event.data.data)}`),
        color(33, `  decide: npm run chat -- --approve ${id}   or   npm run chat -- --reject ${id} [comment]`),
      ].join("\n");
    }
    case "approval.resolved":
      return color(33, `✓ ${event.data.decision === "approve" ? "approved" : "rejected"} by ${event.data.by}${event.data.comment ? `: ${event.data.comment}` : ""}`);
    default: {
      // Every type is handled above; a newer server may send more.
      const other = event as Event;
      return color(2, `· ${other.type} ${JSON.stringify(other.data)}`);
    }
  }
}

function stepLine(step: Extract<Event, { type: "workflow.step" }>["data"]): string {
  const round = step.round ? ` round ${step.round}` : "";
  const calls = step.modelCalls !== undefined ? `, ${step.modelCalls} model call${step.modelCalls === 1 ? "" : "s"}` : "";
  const took = step.latencyMs !== undefined ? `, ${step.latencyMs} ms` : "";
  const label = `${step.path} (${step.kind}${round})`;
  switch (step.status) {
    case "started":
      return color(2, `  ▸ ${label}`);
    case "completed": {
      const output = step.output === undefined ? "" : ` → ${clip(typeof step.output === "string" ? step.output : JSON.stringify(step.output))}`;
      return color(32, `  ✓ ${label}${calls}${took}${output}`);
    }
    case "skipped":
      return color(2, `  – ${label} skipped`);
    case "failed":
      return color(31, `  ✗ ${label}${calls}: ${step.error ?? "failed"}`);
  }
}

function totals(
  data: { modelCalls: number; budget: { modelCalls: { max: number } }; usage: Usage; latencyMs: number; costUsd: number },
  models: Iterable<string | undefined> | undefined,
): string {
  return `${data.modelCalls} of at most ${data.budget.modelCalls.max} model calls, ${data.usage.totalTokens} tokens, ${data.latencyMs} ms, ${formatCost(data.costUsd, models)}`;
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Follows the conversation's events after `after` over server-sent events, handing each to `handle`
 * until it says the wait is over. A dropped stream is resumed after the last event received
 * (`Last-Event-ID`), so nothing is missed or printed twice. `expired` is asked every second, and
 * ends the wait with its message.
 */
async function follow(conversationId: string, after: string, handle: (event: Event) => "done" | "more", expired: () => string | undefined): Promise<void> {
  let cursor = after;
  for (let failures = 0; ; ) {
    const aborter = new AbortController();
    let outcome: { done: true } | { problem: string } | undefined;
    const clock = setInterval(() => {
      const problem = expired();
      if (problem === undefined) return;
      outcome = { problem };
      aborter.abort();
    }, 1000);
    try {
      const response = await fetch(`${baseUrl}/api/conversations/${conversationId}/events/stream`, {
        headers: { authorization: `Bearer ${token ?? ""}`, accept: "text/event-stream", "last-event-id": cursor },
        signal: aborter.signal,
      });
      if (!response.ok || !response.body) {
        const payload = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
        throw new ChatError(`${response.status}: ${payload.error?.message ?? "request failed"}`);
      }
      failures = 0;
      const messages = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
      for await (const message of messages) {
        const event = JSON.parse(message.data) as Event;
        cursor = message.id ?? event.id;
        if (handle(event) === "done") {
          outcome = { done: true };
          aborter.abort();
          return;
        }
      }
      // The server ended the stream (it restarted, or this client fell behind): resume after the cursor.
    } catch (error) {
      if (outcome && "done" in outcome) return;
      if (outcome) throw new ChatError(outcome.problem);
      if (error instanceof ChatError) throw error;
      if (++failures >= 5) throw new ChatError(`Lost the connection to Switchboard at ${baseUrl}; the conversation id is ${conversationId}.`);
      await new Promise((resolve) => setTimeout(resolve, 500 * failures));
    } finally {
      clearInterval(clock);
    }
  }
}

async function ask(conversationId: string, text: string): Promise<void> {
  const { eventId } = (await call("POST", `/api/conversations/${conversationId}/messages`, { text })) as { eventId: string };
  const turn: Event[] = [];
  let deadline = Date.now() + timeoutMs;
  // While a person is asked to decide (from another terminal), the clock does not run.
  const open = new Set<string>();
  // Start just before our message so it is printed too.
  await follow(
    conversationId,
    previousId(eventId),
    (event) => {
      if (event.type === "approval.requested") open.add(event.data.approvalId);
      if (event.type === "approval.resolved") {
        open.delete(event.data.approvalId);
        deadline = Date.now() + timeoutMs;
      }
      const line = describe(event);
      if (line) process.stdout.write(`${line}\n`);
      if (event.id !== eventId) turn.push(event);
      return turnFinished(turn) ? "done" : "more";
    },
    () => (open.size === 0 && Date.now() > deadline ? `No answer within ${values.timeout} s; the conversation id is ${conversationId}.` : undefined),
  );
}

/**
 * Starts a workflow run and prints its events from `workflow.started` to its end. It waits as long
 * as an approval is open (decide it from another terminal); otherwise it gives up after --timeout
 * seconds without news, naming the run so it can be looked at later.
 */
async function runWorkflow(name: string, rawInput: string): Promise<void> {
  let input: unknown;
  try {
    input = rawInput.trim() === "" ? {} : JSON.parse(rawInput);
  } catch {
    throw new ChatError(`The input must be JSON, e.g. npm run chat -- --workflow ${name} '{"orderId": "1042"}'.`);
  }
  const body = { input, ...(values.conversation ? { conversationId: values.conversation } : {}) };
  const { runId, conversationId } = (await call("POST", `/api/workflows/${encodeURIComponent(name)}/runs`, body)) as {
    runId: string;
    conversationId: string;
  };
  process.stdout.write(color(2, `Run ${runId} in conversation ${conversationId}.\n`));
  const open = new Set<string>();
  // In a conversation of its own the run's events are all there is; in a named one, earlier events are skipped.
  let following = false;
  let deadline = Date.now() + timeoutMs;
  await follow(
    conversationId,
    "0",
    (event) => {
      if (!following && event.type === "workflow.started" && event.runId === runId) following = true;
      if (!following) return "more";
      deadline = Date.now() + timeoutMs;
      if (event.type === "approval.requested") open.add(event.data.approvalId);
      if (event.type === "approval.resolved") open.delete(event.data.approvalId);
      const line = describe(event);
      if (line) process.stdout.write(`${line}\n`);
      if ((event.type === "workflow.completed" || event.type === "workflow.failed") && event.runId === runId) {
        if (event.type === "workflow.failed") process.exitCode = 1;
        return "done";
      }
      return "more";
    },
    () => (open.size === 0 && Date.now() > deadline ? `No news from run ${runId} within ${values.timeout} s; see GET /api/workflow-runs/${runId}.` : undefined),
  );
}

/** `--approve <id>` / `--reject <id> [comment]`: the first decision wins; a later one says who made it. */
async function decideApproval(approvalId: string, decision: "approve" | "reject", comment: string): Promise<void> {
  const body = { decision, ...(comment ? { comment } : {}) };
  const { approval } = (await call("POST", `/api/approvals/${encodeURIComponent(approvalId)}`, body)) as { approval: Approval };
  process.stdout.write(`${approval.status === "approved" ? "Approved" : "Rejected"}: ${approval.title} (${approval.id}).\n`);
}

function previousId(id: string): string {
  const [ms = "0", seq = "0"] = id.split("-");
  return Number(seq) > 0 ? `${ms}-${Number(seq) - 1}` : `${BigInt(ms) - 1n}-${Number.MAX_SAFE_INTEGER}`;
}

async function main(): Promise<void> {
  if (!token) throw new ChatError("No access token: pass --token, set SWITCHBOARD_TOKEN, or start Switchboard here first (npm start).");
  const rest = positionals.join(" ").trim();
  if (values.approve !== undefined && values.reject !== undefined) throw new ChatError("Pass either --approve or --reject, not both.");
  if (values.approve !== undefined) return decideApproval(values.approve, "approve", rest);
  if (values.reject !== undefined) return decideApproval(values.reject, "reject", rest);
  if (values.workflow !== undefined) return runWorkflow(values.workflow, rest);
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
