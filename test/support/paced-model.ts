import OpenAI from "openai";
import { createChatCompletionsFetch } from "../../agents/model/chat-completions-fetch.js";
import { estimateTokens } from "../../agents/model/token-estimate.js";

/** A point in an answer where its stream stops until the test lets it go on. */
export interface Hold {
  /** Resolves once the stream has sent everything before the hold. */
  reached: Promise<void>;
  release(): void;
}

export interface PacedModel {
  /** The client to hand to the runtime: the real SDK over the real wire protocol, in-process. */
  client: OpenAI;
  /**
   * Stops the streamed answer of request `index` (0-based, in the order requests arrive) after its
   * first `words` words, until `release`.
   */
  holdAfter(index: number, words: number): Hold;
}

const encoder = new TextEncoder();

/**
 * A scripted model that answers request n with `answers[n]`, streamed one word per SSE event,
 * `delayMs` apart, and that stops mid-answer where a test holds it: for tests of what a client sees
 * while an answer is being written.
 */
export function pacedModel(answers: string[], options: { delayMs: number }): PacedModel {
  let replies = 0;
  let requests = 0;
  const holds = new Map<string, { reached: () => void; released: Promise<void> }>();
  const inner = createChatCompletionsFetch({
    delayMs: 0,
    modelId: "paced",
    reply: (request) => {
      const content = answers[replies++];
      if (content === undefined) throw new Error(`the paced model has no answer for request ${replies} (it was given ${answers.length})`);
      const prompt = estimateTokens(request.messages);
      const completion = estimateTokens(content);
      return { content, toolCalls: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } };
    },
  });

  const paced: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const index = url.endsWith("/chat/completions") ? requests++ : -1;
    const response = await inner(input, init);
    if (!response.headers.get("content-type")?.startsWith("text/event-stream")) return response;
    // Unpaced, the body is every event at once: send them one by one, holding where asked.
    const events = (await response.text()).split("\n\n").filter((event) => event !== "");
    let next = 0;
    const signal = init?.signal ?? undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // A stopped run aborts its call: the stream ends there, held or not, as a real server's does.
        signal?.addEventListener("abort", () => controller.error(signal.reason), { once: true });
      },
      async pull(controller) {
        const event = events[next];
        if (event === undefined) {
          controller.close();
          return;
        }
        const hold = holds.get(`${index}:${next}`);
        if (hold) {
          hold.reached();
          await hold.released;
        } else if (next > 0 && options.delayMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        }
        next += 1;
        if (signal?.aborted) return;
        controller.enqueue(encoder.encode(`${event}\n\n`));
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };

  return {
    client: new OpenAI({ apiKey: "paced", baseURL: "http://paced.switchboard/v1", fetch: paced, maxRetries: 0 }),
    holdAfter(index, words) {
      let reached: () => void = () => {};
      let release: () => void = () => {};
      const hold: Hold = {
        reached: new Promise<void>((resolve) => (reached = resolve)),
        release: () => release(),
      };
      holds.set(`${index}:${words}`, { reached, released: new Promise<void>((resolve) => (release = resolve)) });
      return hold;
    },
  };
}
