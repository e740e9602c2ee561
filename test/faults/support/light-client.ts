import type { Event } from "../../../shared/events.js";

/**
 * The admin token the harness configures (test/support/harness.ts `TEST_TOKEN`), repeated here so a
 * test whose platform runs in another process need not load the whole platform to know it.
 */
export const ADMIN_TOKEN = "test-token-0123456789abcdef";

/** A REST client as a user's program would write it, with the harness's `ApiClient` calls, and nothing else loaded. */
export class LightClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async createConversation(): Promise<string> {
    const response = await this.request("POST", "/api/conversations", {});
    if (response.status !== 201) throw new Error(`create conversation: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  }

  async send(conversationId: string, text: string): Promise<string> {
    const response = await this.request("POST", `/api/conversations/${conversationId}/messages`, { text });
    if (response.status !== 202) throw new Error(`send: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.eventId as string;
  }

  async events(conversationId: string, after = "0", wait = 0): Promise<Event[]> {
    const query = new URLSearchParams({ after, ...(wait > 0 ? { wait: String(wait) } : {}) });
    const response = await this.request("GET", `/api/conversations/${conversationId}/events?${query}`);
    if (response.status !== 200) throw new Error(`events: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.events as Event[];
  }
}
