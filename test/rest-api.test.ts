import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiErrorBody } from "../shared/errors.js";
import { ApiClient, startPlatform, type Platform } from "./support/harness.js";

// The server alone: these requests must be refused before any agent is involved.
let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ agents: false });
});
afterAll(async () => platform.close());

/** The body's error, checked against the shared schema: a code outside the union fails the test. */
const error = (body: Record<string, unknown>) => ApiErrorBody.parse(body).error;

describe("REST contract", () => {
  it("answers health without a token", async () => {
    const response = await new ApiClient(platform.server.url, undefined).request("GET", "/api/health");
    expect(response).toMatchObject({ status: 200, body: { status: "ok", failing: [], redis: { ok: true }, server: { ok: true } } });
    // The server alone: no agents in this process to report.
    expect(response.body.agents).toBeUndefined();
  });

  it("refuses a missing or wrong token with a clear message", async () => {
    const anonymous = await new ApiClient(platform.server.url, undefined).request("GET", "/api/conversations");
    expect(anonymous.status).toBe(401);
    expect(error(anonymous.body).code).toBe("missing_token");
    expect(error(anonymous.body).message).toMatch(/Bearer/);
    const wrong = await new ApiClient(platform.server.url, "not-the-token-at-all").request("GET", "/api/conversations");
    expect(wrong.status).toBe(401);
    expect(error(wrong.body).code).toBe("invalid_token");
  });

  it("tells a client who it is", async () => {
    expect((await platform.api.request("GET", "/api/me")).body).toEqual({ user: "local", admin: true });
  });

  it("creates, lists and reads conversations; the first message names it", async () => {
    const id = await platform.api.createConversation();
    const eventId = await platform.api.send(id, "What is 2 + 2?");
    const listed = await platform.api.request("GET", "/api/conversations");
    expect((listed.body.conversations as { id: string; title: string }[]).find((c) => c.id === id)?.title).toBe("What is 2 + 2?");
    const events = await platform.api.events(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: eventId, conversationId: id, type: "message.user", data: { text: "What is 2 + 2?" } });
    expect(await platform.api.events(id, eventId)).toEqual([]);
  });

  it("refuses bad messages and loses nothing already posted", async () => {
    const id = await platform.api.createConversation();
    await platform.api.send(id, "kept");
    const post = (body: unknown, raw?: string) => platform.api.request("POST", `/api/conversations/${id}/messages`, body, { raw });

    const empty = await post({ text: "   " });
    expect(empty.status).toBe(400);
    expect(error(empty.body).message).toMatch(/must not be empty/);

    const oversized = await post({ text: "x".repeat(platform.config.limits.maxMessageChars + 1) });
    expect(oversized.status).toBe(400);
    expect(error(oversized.body).message).toMatch(/at most 8000 characters/);

    const wrongType = await post({ text: 42 });
    expect(wrongType.status).toBe(400);
    expect(error(wrongType.body)).toEqual({ code: "invalid_message", message: expect.stringMatching(/text must be a string/) });

    const extra = await post({ text: "hi", admin: true });
    expect(extra.status).toBe(400);
    expect(error(extra.body)).toEqual({ code: "invalid_message", message: expect.stringMatching(/admin/) });

    const malformed = await post(undefined, '{"text": "unterminated');
    expect(malformed.status).toBe(400);
    expect(error(malformed.body).code).toBe("malformed_json");

    const huge = await post(undefined, JSON.stringify({ text: "y".repeat(300_000) }));
    expect(huge.status).toBe(413);
    expect(error(huge.body).code).toBe("payload_too_large");

    const events = await platform.api.events(id);
    expect(events.map((e) => e.type === "message.user" && e.data.text)).toEqual(["kept"]);
  });

  it("answers 404 for unknown conversations and 400 for a bad cursor", async () => {
    const unknown = await platform.api.request("POST", "/api/conversations/cDoesNotExist123/messages", { text: "hello" });
    expect(unknown.status).toBe(404);
    expect(error(unknown.body).code).toBe("unknown_conversation");
    expect((await platform.api.request("GET", "/api/conversations/no/events")).status).toBe(404);
    const id = await platform.api.createConversation();
    const cursor = await platform.api.request("GET", `/api/conversations/${id}/events?after=yesterday`);
    expect(cursor.status).toBe(400);
    expect(error(cursor.body).message).toMatch(/stream id/);
    const route = await platform.api.request("GET", "/api/nothing-here");
    expect(route.status).toBe(404);
    expect(error(route.body).code).toBe("not_found");
  });

  it("answers 400 with the reason for a cursor out of a stream id's range, never 503", async () => {
    const id = await platform.api.createConversation();
    await platform.api.send(id, "kept");
    for (const after of ["99999999999999999999999-0", "18446744073709551616", "1-99999999999999999999999", "18446744073709551615-18446744073709551615"]) {
      for (const wait of ["", "&wait=100"]) {
        const response = await platform.api.request("GET", `/api/conversations/${id}/events?after=${after}${wait}`);
        expect(response.status, `${after}${wait}`).toBe(400);
        expect(error(response.body).code).toBe("invalid_query");
        expect(error(response.body).message).toMatch(/after is out of range/);
      }
    }
    // At the top of the range, and with leading zeros, a cursor is still a cursor.
    expect(await platform.api.events(id, "18446744073709551615-18446744073709551614")).toEqual([]);
    expect(await platform.api.events(id, "000000000000000000000000-0")).toHaveLength(1);
  });

  it("refuses messages of only NUL, zero-width or other invisible characters as empty", async () => {
    const id = await platform.api.createConversation();
    const post = (text: string) => platform.api.request("POST", `/api/conversations/${id}/messages`, { text });
    for (const text of ["\u0000", "\u200b\u200c\u200d\ufeff", "\u2060", "\u200b \u00a0\t\u2060\n\u3000", "\u202e\u2066\u2069\u061c", "\u3164\uffa0\u2800", "\udb40\udc20\udb40\udc7f"]) {
      const response = await post(text);
      expect(response.status, JSON.stringify(text)).toBe(400);
      expect(error(response.body).code).toBe("invalid_message");
      expect(error(response.body).message).toMatch(/must not be empty/);
    }
    expect(await platform.api.events(id)).toEqual([]);
    expect((await post("\u200bhello\u200b")).status).toBe(202);
    expect((await post("é")).status).toBe(202);
  });

  it("posts a retried message once when the client repeats its clientMsgId", async () => {
    const id = await platform.api.createConversation();
    const body = { text: "only once", clientMsgId: "retry-1" };
    const first = await platform.api.request("POST", `/api/conversations/${id}/messages`, body);
    const again = await platform.api.request("POST", `/api/conversations/${id}/messages`, body);
    expect(first.status).toBe(202);
    expect(again.body.eventId).toBe(first.body.eventId);
    expect(await platform.api.events(id)).toHaveLength(1);
  });

  it("long-polls for the next event", async () => {
    const id = await platform.api.createConversation();
    const waiting = platform.api.events(id, "0", 10_000);
    await platform.api.send(id, "wake up");
    const events = await waiting;
    expect(events.map((e) => e.type)).toEqual(["message.user"]);
  });
});
