import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { EventOf } from "../shared/events.js";
import { SendPayload } from "../shared/socket-events.js";
import { turnFinished } from "../shared/turn-status.js";
import { TEST_TOKEN, startPlatform, testRedisEnv, type Platform } from "./support/harness.js";
import { SocketClient } from "./support/socket-client.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ALICE = "alice-token-0123456789";
const BOB = "bob-token-0123456789ab";

let platform: Platform;
const clients: SocketClient[] = [];
beforeAll(async () => {
  platform = await startPlatform({ env: { OFFLINE_MODEL_DELAY_MS: "2", SWITCHBOARD_USERS: `alice:${ALICE},bob:${BOB}` } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await platform.close();
});

async function connect(token: string | undefined, url = platform.server.url): Promise<SocketClient> {
  const client = new SocketClient(url, token);
  clients.push(client);
  await client.connected();
  return client;
}

describe("Socket.IO gateway", () => {
  it("refuses a connection without a valid token", async () => {
    await expect(connect(undefined)).rejects.toThrow(/access token is required/);
    await expect(connect("wrong-token-wrong-token")).rejects.toThrow(/not valid/);
  });

  it("acknowledges a message once durable, streams deltas, and pushes every event once", async () => {
    const client = await connect(TEST_TOKEN);
    const conversationId = await platform.api.createConversation();
    const joined = await client.join(conversationId);
    expect(joined).toEqual({ ok: true, data: { events: [], streams: [] } });

    const sent = await client.send(conversationId, "What is 17.5% of 2,480?", "m1");
    if (!sent.ok) throw new Error(sent.error.message);
    // Durable before the ack: the REST log already has it.
    expect((await platform.api.events(conversationId)).map((e) => e.id)).toContain(sent.data.eventId);

    const events = await client.waitFor(turnFinished);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.map((e) => e.id)).toEqual((await platform.api.events(conversationId)).map((e) => e.id));

    const answer = events.find((e): e is EventOf<"message.agent"> => e.type === "message.agent" && e.agent === "calculator");
    const streamed = client.deltas.filter((d) => d.runId === answer?.runId).map((d) => d.text).join("");
    expect(streamed).toBe(answer?.data.text);
    expect(client.deltas.filter((d) => d.runId === answer?.runId).length).toBeGreaterThan(1);

    const retried = await client.send(conversationId, "What is 17.5% of 2,480?", "m1");
    expect(retried).toEqual(sent);
  });

  it("replays what a client missed from its cursor, then goes live", async () => {
    const conversationId = await platform.api.createConversation();
    const first = await platform.api.send(conversationId, "first");
    const second = await platform.api.send(conversationId, "second");
    const client = await connect(TEST_TOKEN);
    const joined = await client.join(conversationId, first);
    const replayed = joined.ok ? joined.data.events.map((e) => e.id) : [];
    expect(replayed).not.toContain(first);
    expect(replayed).toContain(second);
    expect(replayed).toEqual((await platform.api.events(conversationId, first)).map((e) => e.id).slice(0, replayed.length));
    const last = joined.ok ? joined.data.events.at(-1)?.id : undefined;
    await platform.api.send(conversationId, "third");
    const live = await client.waitFor((events) => events.some((e) => e.type === "message.user" && e.data.text === "third"));
    expect(live.some((e) => e.id === last)).toBe(false);
  });

  it("refuses bad payloads with a reason", async () => {
    const client = await connect(TEST_TOKEN);
    const conversationId = await platform.api.createConversation();
    const empty = await client.send(conversationId, "  ", "m2");
    expect(empty).toMatchObject({ ok: false, error: { code: "invalid_message" } });
    expect(!empty.ok && empty.error.message).toMatch(/must not be empty/);
    const badCursor = await client.join(conversationId, "yesterday");
    expect(badCursor).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    const unknown = await client.join("cUnknownConversation1");
    expect(unknown).toMatchObject({ ok: false, error: { code: "unknown_conversation" } });
  });

  it("refuses a message:send payload in the words of the shared SendPayload schema, naming the field", async () => {
    const client = await connect(TEST_TOKEN);
    const conversationId = await platform.api.createConversation();
    const schema = SendPayload(platform.config.limits.maxMessageChars);
    const payloads: [unknown, RegExp][] = [
      [{ conversationId, text: "hi" }, /clientMsgId/],
      [{ conversationId, text: "hi", clientMsgId: "has spaces" }, /clientMsgId/],
      [{ conversationId: 42, text: "hi", clientMsgId: "m3" }, /conversationId/],
      [{ conversationId, text: "hi", clientMsgId: "m4", admin: true }, /admin/],
      [null, /object/],
    ];
    for (const [payload, names] of payloads) {
      const expected = schema.safeParse(payload);
      if (expected.success) throw new Error(`${JSON.stringify(payload)} should not parse`);
      const sent: unknown = await client.socket.timeout(10_000).emitWithAck("message:send", payload as SendPayload);
      const refused = { ok: false, error: { code: "invalid_message", message: z.prettifyError(expected.error) } };
      expect(sent, JSON.stringify(payload)).toEqual(refused);
      expect(refused.error.message, JSON.stringify(payload)).toMatch(names);
    }
    expect(await platform.api.events(conversationId)).toEqual([]);
  });

  it("refuses an out-of-range cursor as the client's mistake, with the reason", async () => {
    const client = await connect(TEST_TOKEN);
    const conversationId = await platform.api.createConversation();
    for (const after of ["99999999999999999999999-0", "18446744073709551616", "1-18446744073709551616", "18446744073709551615-18446744073709551615"]) {
      const joined = await client.join(conversationId, after);
      expect(joined, after).toMatchObject({ ok: false, error: { code: "invalid_request", message: expect.stringMatching(/after is out of range/) } });
    }
    // The largest ids that do have a successor are fine: nothing comes after them yet.
    expect(await client.join(conversationId, "18446744073709551615-18446744073709551614")).toEqual({ ok: true, data: { events: [], streams: [] } });
  });

  it("refuses messages of only invisible characters as empty", async () => {
    const client = await connect(TEST_TOKEN);
    const conversationId = await platform.api.createConversation();
    const invisible = ["\u0000", "\u0000\u0000 \u0000", "\u200b\u200c\u200d\ufeff", "\u2060", " \t\n\u00a0\u3000\u200b\u2060 ", "\u00ad\u180e\u3164\u2800\ufe0f"];
    for (const [index, text] of invisible.entries()) {
      const sent = await client.send(conversationId, text, `inv${index}`);
      expect(sent, JSON.stringify(text)).toMatchObject({ ok: false, error: { code: "invalid_message", message: expect.stringMatching(/must not be empty/) } });
    }
    expect(await platform.api.events(conversationId)).toEqual([]);
    // Visible text with invisible characters around it is a message.
    expect((await client.send(conversationId, "\u200bhi\u0000", "visible")).ok).toBe(true);
  });

  it("keeps a conversation to its owner", async () => {
    const alice = await connect(ALICE);
    const bob = await connect(BOB);
    const created = await fetch(`${platform.server.url}/api/conversations`, {
      method: "POST",
      headers: { authorization: `Bearer ${ALICE}`, "content-type": "application/json" },
      body: "{}",
    });
    const { id } = (await created.json()) as { id: string };
    expect((await alice.join(id)).ok).toBe(true);
    expect(await bob.join(id)).toMatchObject({ ok: false, error: { code: "unknown_conversation" } });
    expect(await bob.send(id, "let me in", "b1")).toMatchObject({ ok: false, error: { code: "unknown_conversation" } });
    const bobsList = await fetch(`${platform.server.url}/api/conversations`, { headers: { authorization: `Bearer ${BOB}` } });
    expect(((await bobsList.json()) as { conversations: { id: string }[] }).conversations.map((c) => c.id)).not.toContain(id);
  });

  it("delivers replies to a client on another server process", async () => {
    const other = spawn(process.execPath, ["--import", "tsx", "bin/server.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", ...testRedisEnv(), SWITCHBOARD_PREFIX: platform.config.prefix, SWITCHBOARD_TOKEN: TEST_TOKEN, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = "";
        other.stdout?.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          const match = output.match(/Switchboard server: (http:\/\/[^/\s]+)/);
          if (match?.[1]) resolve(match[1]);
        });
        other.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        other.once("exit", () => reject(new Error(`second server exited:\n${output}`)));
      });
      const watcher = await connect(TEST_TOKEN, url);
      const conversationId = await platform.api.createConversation();
      expect((await watcher.join(conversationId)).ok).toBe(true);
      // Posted through the first server; answered by the one agents process.
      await platform.api.send(conversationId, "What is 17.5% of 2,480?");
      const events = await watcher.waitFor(turnFinished);
      expect(events.find((e) => e.type === "message.agent")?.agent).toBe("calculator");
      expect(watcher.deltas.some((d) => d.conversationId === conversationId)).toBe(true);
    } finally {
      other.kill("SIGTERM");
    }
  });
});
