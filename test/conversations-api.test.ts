import { Job } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Conversations } from "../platform/conversations.js";
import { Queues, queueLayout } from "../platform/queues.js";
import { connectRedis } from "../platform/redis.js";
import { MANAGER } from "../shared/agent-name.js";
import type { ConversationHit } from "../shared/api.js";
import { ApiErrorBody } from "../shared/errors.js";
import { keys as keyNames, type Keys } from "../shared/keys.js";
import { ApiClient, startPlatform, turnFinished, type Platform } from "./support/harness.js";

const ALICE = "alice-token-0123456789";
const BOB = "bob-token-01234567890";

// The whole product with the offline model: turns really run, so a deletion has runs to remove.
let platform: Platform;
let redis: Redis;
let keys: Keys;
let queues: Queues;
let alice: ApiClient;
let bob: ApiClient;

beforeAll(async () => {
  platform = await startPlatform({ env: { SWITCHBOARD_USERS: `alice:${ALICE},bob:${BOB}` } });
  redis = await connectRedis(inject("redisUrl"));
  keys = keyNames(platform.config.prefix);
  queues = new Queues(redis, keys, queueLayout(platform.config));
  alice = new ApiClient(platform.server.url, ALICE);
  bob = new ApiClient(platform.server.url, BOB);
});
afterAll(async () => {
  await platform.close();
  await queues.close();
  await redis.quit();
});

const error = (body: Record<string, unknown>) => ApiErrorBody.parse(body).error;

/** A conversation of `client`'s with one answered message; its id and the message's event id. */
async function answered(client: ApiClient, text: string): Promise<{ id: string; eventId: string }> {
  const id = await client.createConversation();
  const eventId = await client.send(id, text);
  await client.waitFor(id, turnFinished, { what: `the answer to "${text}"` });
  return { id, eventId };
}

const titles = async (client: ApiClient, query = "") =>
  ((await client.request("GET", `/api/conversations${query}`)).body.conversations as ConversationHit[]).map((c) => c.title);

describe("renaming a conversation", () => {
  it("sets the trimmed title its owner gives, and the list shows it", async () => {
    const id = await alice.createConversation();
    const renamed = await alice.request("PATCH", `/api/conversations/${id}`, { title: "  Trip to Lisbon  " });
    expect(renamed).toMatchObject({ status: 200, body: { id, title: "Trip to Lisbon" } });
    expect((await alice.request("GET", `/api/conversations/${id}`)).body.title).toBe("Trip to Lisbon");
    expect(await titles(alice)).toContain("Trip to Lisbon");
    // A named conversation keeps its name when its first message arrives.
    await alice.send(id, "What should I pack?");
    expect((await alice.request("GET", `/api/conversations/${id}`)).body.title).toBe("Trip to Lisbon");
  });

  it("refuses a title that is blank, invisible, too long or not a string, naming the problem", async () => {
    const id = await alice.createConversation();
    const rename = (body: unknown) => alice.request("PATCH", `/api/conversations/${id}`, body);
    const cases: [unknown, RegExp][] = [
      [{ title: "   " }, /title must not be empty/],
      [{ title: "\u200b\u2060\ufeff" }, /title must not be empty/],
      [{ title: "x".repeat(201) }, /title must be at most 200 characters/],
      [{ title: 7 }, /title must be a string/],
      [{}, /title/],
      [{ title: "ok", owner: "bob" }, /owner/],
    ];
    for (const [body, message] of cases) {
      const answer = await rename(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(error(answer.body)).toEqual({ code: "invalid_request", message: expect.stringMatching(message) });
    }
    expect((await alice.request("GET", `/api/conversations/${id}`)).body.title).toBe("New conversation");
  });

  it("answers 404 for someone else's conversation, as for one that does not exist, and changes nothing", async () => {
    const id = await alice.createConversation();
    for (const client of [bob, platform.api]) {
      const answer = await client.request("PATCH", `/api/conversations/${id}`, { title: "Mine now" });
      expect(answer.status).toBe(404);
      expect(error(answer.body).code).toBe("unknown_conversation");
    }
    expect((await alice.request("PATCH", "/api/conversations/cNoSuchConversation", { title: "x" })).status).toBe(404);
    expect((await alice.request("GET", `/api/conversations/${id}`)).body.title).toBe("New conversation");
  });
});

describe("automatic titles", () => {
  it("come from the first message, numbered when another conversation of the owner starts alike", async () => {
    const first = await alice.createConversation();
    await alice.send(first, "Plan the quarterly review\nwith the whole team");
    const second = await alice.createConversation();
    await alice.send(second, "plan the quarterly review");
    const third = await alice.createConversation();
    await alice.send(third, "Plan the quarterly review");
    const titleOf = async (id: string) => (await alice.request("GET", `/api/conversations/${id}`)).body.title;
    expect(await titleOf(first)).toBe("Plan the quarterly review");
    expect(await titleOf(second)).toBe("plan the quarterly review (2)");
    expect(await titleOf(third)).toBe("Plan the quarterly review (3)");
    // The browser names a conversation it starts with a message after that message, and says so.
    const fromPage = await alice.request("POST", "/api/conversations", { title: "Plan the quarterly review", automatic: true });
    expect(fromPage.body.title).toBe("Plan the quarterly review (4)");
    // Another user's titles do not count.
    const bobs = await bob.createConversation();
    await bob.send(bobs, "Plan the quarterly review");
    expect((await bob.request("GET", `/api/conversations/${bobs}`)).body.title).toBe("Plan the quarterly review");
  });

  it("are distinct for conversations the product makes, such as a workflow's", async () => {
    const conversations = new Conversations(redis, keys);
    const one = await conversations.create("erin", "Workflow: order-triage", { automatic: true });
    const two = await conversations.create("erin", "Workflow: order-triage", { automatic: true });
    expect([one.title, two.title]).toEqual(["Workflow: order-triage", "Workflow: order-triage (2)"]);
    // A title a person gives is kept as given.
    expect((await conversations.create("erin", "Workflow: order-triage")).title).toBe("Workflow: order-triage");
  });
});

describe("deleting a conversation", () => {
  it("removes its log, its runs' checkpoints and jobs, and answers 404 after", async () => {
    const { id, eventId } = await answered(alice, "What is 12 * 7?");
    const runId = `${id}-${eventId}`;
    const manager = queues.queueFor(MANAGER, id);
    expect(await redis.exists(keys.events(id), keys.meta(id), keys.run(id, runId))).toBe(3);
    expect(await Job.fromId(manager, runId)).toBeDefined();

    const deleted = await alice.request("DELETE", `/api/conversations/${id}`);
    expect(deleted.status).toBe(204);

    expect(await redis.exists(keys.events(id), keys.dedup(id), keys.meta(id), keys.run(id, runId))).toBe(0);
    // Nothing named after it is left: streaming texts, recorded steps, queue jobs included.
    expect(await redis.keys(`*${id}*`)).toEqual([]);
    expect(await Job.fromId(manager, runId)).toBeUndefined();
    expect(await redis.zscore(keys.ownerConversations("alice"), id)).toBeNull();
    const list = (await alice.request("GET", "/api/conversations")).body.conversations as { id: string }[];
    expect(list.map((c) => c.id)).not.toContain(id);
    for (const [method, path] of [
      ["GET", `/api/conversations/${id}`],
      ["GET", `/api/conversations/${id}/events`],
      ["POST", `/api/conversations/${id}/messages`],
      ["PATCH", `/api/conversations/${id}`],
      ["DELETE", `/api/conversations/${id}`],
    ] as const) {
      const answer = await alice.request(method, path, method === "POST" ? { text: "hello?" } : method === "PATCH" ? { title: "x" } : undefined);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(error(answer.body).code).toBe("unknown_conversation");
    }
  });

  it("leaves someone else's conversation alone: 404, as if it did not exist", async () => {
    const { id } = await answered(alice, "Keep this one");
    for (const client of [bob, platform.api]) expect((await client.request("DELETE", `/api/conversations/${id}`)).status).toBe(404);
    expect((await alice.request("GET", `/api/conversations/${id}`)).status).toBe(200);
    expect((await alice.events(id)).length).toBeGreaterThan(1);
  });

  it("is finished by asking again after a deletion cut off half way, and hidden meanwhile", async () => {
    const { id, eventId } = await answered(alice, "Half deleted");
    // As a server that crashed after marking the conversation and removing the run's checkpoint.
    await redis.hset(keys.meta(id), "deleting", new Date().toISOString());
    await redis.del(keys.run(id, `${id}-${eventId}`));
    expect((await alice.request("GET", `/api/conversations/${id}`)).status).toBe(404);
    expect(await titles(alice)).not.toContain("Half deleted");
    expect((await alice.request("DELETE", `/api/conversations/${id}`)).status).toBe(204);
    expect(await redis.exists(keys.events(id), keys.meta(id))).toBe(0);
    expect(await Job.fromId(queues.queueFor(MANAGER, id), `${id}-${eventId}`)).toBeUndefined();
  });
});

describe("searching conversations", () => {
  it("finds the owner's conversations by title and by message text, case-insensitively, never another user's", async () => {
    const byTitle = await alice.createConversation();
    await alice.request("PATCH", `/api/conversations/${byTitle}`, { title: "Marmalade recipes" });
    const { id: byMessage } = await answered(alice, "Hello team");
    await alice.send(byMessage, "Could someone check the MARMALADE stock in the pantry?");
    await alice.waitFor(byMessage, (events) => events.filter((event) => event.type === "message.user").length === 2);
    const { id: bobs } = await answered(bob, "Bob's marmalade question");
    await answered(alice, "Nothing to see here");

    const found = (await alice.request("GET", "/api/conversations?q=marmalade")).body.conversations as ConversationHit[];
    expect(found.map((hit) => hit.id).sort()).toEqual([byTitle, byMessage].sort());
    expect(found.find((hit) => hit.id === byTitle)?.match).toEqual({ in: "title", text: "Marmalade recipes" });
    expect(found.find((hit) => hit.id === byMessage)?.match).toEqual({
      in: "message",
      text: "Could someone check the MARMALADE stock in the pantry?",
    });
    expect(found.map((hit) => hit.id)).not.toContain(bobs);
    const bobFound = (await bob.request("GET", "/api/conversations?q=Marmalade")).body.conversations as ConversationHit[];
    expect(bobFound.map((hit) => hit.id)).toEqual([bobs]);
    // A long message is shown around the match, cut from the original text even where folding
    // changes lengths ("…" folds to "...").
    const { id: long } = await answered(alice, `Wait… ${"and so on ".repeat(20)}then the kumquat harvest came in`);
    const [kumquat] = (await alice.request("GET", "/api/conversations?q=KUMQUAT")).body.conversations as ConversationHit[];
    expect(kumquat?.id).toBe(long);
    expect(kumquat?.match.text).toMatch(/^…(\w+ )+then the kumquat harvest came in/);
    // The agents' answers are searched too: the offline model says it is the offline model.
    expect(await titles(alice, "?q=offline%20model")).toEqual(expect.arrayContaining(["Hello team", "Nothing to see here"]));
  });

  it("gives the plain list for a blank query and refuses one that is too long", async () => {
    expect(await titles(alice, "?q=%20%20")).toEqual(await titles(alice));
    const long = await alice.request("GET", `/api/conversations?q=${"a".repeat(201)}`);
    expect(long.status).toBe(400);
    expect(error(long.body)).toEqual({ code: "invalid_query", message: expect.stringMatching(/q must be at most 200 characters/) });
    const twice = await alice.request("GET", "/api/conversations?q=a&q=b");
    expect(error(twice.body)).toEqual({ code: "invalid_query", message: expect.stringMatching(/q must be one string/) });
  });
});
