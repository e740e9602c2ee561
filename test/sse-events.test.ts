import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../shared/events.js";
import { ApiErrorBody } from "../shared/errors.js";
import { ApiClient, describeEvents, reportIfStillWaiting, startPlatform, TEST_TOKEN, turnFinished, type Platform } from "./support/harness.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ALICE = "alice-token-0123456789abcdef";
const QUESTION = "What is 17.5% of 2,480?";

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ env: { SWITCHBOARD_USERS: `alice:${ALICE}` } });
});
afterAll(async () => platform.close());

const error = (body: Record<string, unknown>) => ApiErrorBody.parse(body).error;

/** An SSE connection as a program would hold one: its messages, read until `enough` says stop. */
async function stream(
  conversationId: string,
  enough: (events: Event[]) => boolean,
  options: { lastEventId?: string; after?: string } = {},
): Promise<{ events: Event[]; ids: string[]; contentType: string | null }> {
  const aborter = new AbortController();
  const events: Event[] = [];
  const ids: string[] = [];
  const over = reportIfStillWaiting(`the stream of ${conversationId} to hold what the test expects`, () => describeEvents(events), () => aborter.abort());
  try {
    const query = options.after ? `?after=${options.after}` : "";
    const response = await fetch(`${platform.server.url}/api/conversations/${conversationId}/events/stream${query}`, {
      headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(options.lastEventId ? { "last-event-id": options.lastEventId } : {}) },
      signal: aborter.signal,
    });
    expect(response.status).toBe(200);
    const messages = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    for await (const message of messages) {
      ids.push(message.id ?? "");
      events.push(JSON.parse(message.data) as Event);
      if (enough(events)) break;
    }
    return { events, ids, contentType: response.headers.get("content-type") };
  } finally {
    over();
    aborter.abort();
  }
}

/** The turn after the user message has ended. */
const answered = (events: Event[]) => turnFinished(events.filter((event) => event.type !== "message.user"));

describe("server-sent events of a conversation", () => {
  it("sends every event of a turn in log order, each with its stream id as the SSE id", async () => {
    const id = await platform.api.createConversation();
    const following = stream(id, answered);
    const eventId = await platform.api.send(id, QUESTION);
    const { events, ids, contentType } = await following;

    expect(contentType).toMatch(/^text\/event-stream/);
    expect(ids).toEqual(events.map((event) => event.id));
    expect(events[0]).toMatchObject({ id: eventId, type: "message.user" });
    expect(events.find((event) => event.type === "message.agent")?.data).toMatchObject({ text: expect.stringContaining("434") });
    // The same events, in the same order, as the log holds them.
    expect(events).toEqual(await platform.api.events(id));
  });

  it("resumes after Last-Event-ID with nothing lost or sent twice", async () => {
    const id = await platform.api.createConversation();
    const first = stream(id, (events) => events.length >= 3);
    await platform.api.send(id, QUESTION);
    const before = (await first).events;
    // The connection is gone; the turn goes on meanwhile. A reconnect names the last event it had.
    const after = (await stream(id, (events) => answered([...before, ...events]), { lastEventId: before.at(-1)!.id })).events;

    const received = [...before, ...after];
    expect(new Set(received.map((event) => event.id)).size).toBe(received.length);
    expect(received).toEqual(await platform.api.events(id));
  });

  it("starts after ?after= when there is no Last-Event-ID", async () => {
    const id = await platform.api.createConversation();
    await platform.api.send(id, QUESTION);
    const log = await platform.api.waitFor(id, answered);
    const { events } = await stream(id, (read) => read.length === log.length - 1, { after: log[0]!.id });
    expect(events).toEqual(log.slice(1));
  });

  it("refuses another user's conversation as unknown, and says what is wrong with a bad id or cursor", async () => {
    const id = await platform.api.createConversation();
    const alice = new ApiClient(platform.server.url, ALICE);
    const refused = await alice.request("GET", `/api/conversations/${id}/events/stream`);
    expect(refused.status).toBe(404);
    expect(error(refused.body).code).toBe("unknown_conversation");

    const unknown = await platform.api.request("GET", "/api/conversations/not a conversation/events/stream");
    expect(unknown.status).toBe(404);
    expect(error(unknown.body)).toMatchObject({ code: "unknown_conversation", message: expect.stringContaining("not a conversation") });

    const badCursor = await platform.api.request("GET", `/api/conversations/${id}/events/stream`, undefined, { headers: { "last-event-id": "yesterday" } });
    expect(badCursor.status).toBe(400);
    expect(error(badCursor.body)).toMatchObject({ code: "invalid_query", message: expect.stringContaining("stream id") });

    const anonymous = await new ApiClient(platform.server.url, undefined).request("GET", `/api/conversations/${id}/events/stream`);
    expect(anonymous.status).toBe(401);
  });
});

describe("npm run chat", () => {
  it("prints the turn as it streams in and exits when the team has answered", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "bin/chat.ts", "--url", platform.server.url, "--token", TEST_TOKEN, QUESTION], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const over = reportIfStillWaiting("npm run chat to exit", () => `it printed:\n${output}`, () => child.kill());
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    over();

    expect(code, output).toBe(0);
    expect(output).toContain(`you › ${QUESTION}`);
    expect(output).toMatch(/calculate/);
    expect(output).toMatch(/calculator › .*= 434/);
    // The offline model costs nothing, and the terminal says so, as the page does.
    expect(output).toMatch(/✓ calculator done: .*free \(offline model\)/);
    expect(output).not.toContain("$0.0000");
  }, 120_000);

  it("runs a workflow step by step, is approved from a second terminal, and totals it as free on the offline model", async () => {
    const input = JSON.stringify({ topic: "the new search page", audience: "our customers" });
    const run = chat(["--workflow", "content-pipeline", input]);
    const asked = await run.printed(/npm run chat -- --approve (\S+)/);
    const approve = chat(["--approve", asked[1] ?? "", "looks good"]);
    expect(await approve.exited(), approve.output()).toBe(0);
    expect(await run.exited(), run.output()).toBe(0);
    expect(run.output()).toMatch(/▶ workflow content-pipeline .* started/);
    expect(run.output()).toMatch(/✓ draft \(llm\)/);
    expect(run.output()).toMatch(/■ content-pipeline completed: .* model calls, .*free \(offline model\)/);
    expect(run.output()).not.toContain("$0.0000");
  }, 180_000);
});

/** `npm run chat` with `args`, as a person runs it in a terminal. */
function chat(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/chat.ts", "--url", platform.server.url, "--token", TEST_TOKEN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const received = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on("data", received);
  child.stderr.on("data", received);
  const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    output: () => output,
    /** Resolves once the output holds `pattern`, with its match. */
    printed(pattern: RegExp): Promise<RegExpMatchArray> {
      return new Promise((resolve) => {
        const over = reportIfStillWaiting(`npm run chat to print ${pattern}`, () => `it printed:\n${output}`, () => child.kill());
        const check = () => {
          const match = pattern.exec(output);
          if (!match) return;
          listeners.delete(check);
          over();
          resolve(match);
        };
        listeners.add(check);
        check();
      });
    },
    async exited(): Promise<number | null> {
      const over = reportIfStillWaiting("npm run chat to exit", () => `it printed:\n${output}`, () => child.kill());
      try {
        return await exit;
      } finally {
        over();
      }
    },
  };
}
