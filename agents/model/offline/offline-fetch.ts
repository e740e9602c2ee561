import { createChatCompletionsFetch } from "../chat-completions-fetch.js";

/** The model id the offline model lists; it answers to any requested id and echoes it back. */
export const OFFLINE_MODEL_ID = "offline";

let loading: Promise<typeof import("./offline-model.js")> | undefined;

/**
 * The offline model behind the chat completions wire protocol, for the SDK's `fetch` option. The
 * model (and compromise, which it writes with) loads on the first request, not at start.
 */
export function createOfflineFetch(options: { delayMs: number }): typeof fetch {
  let modelFetch: typeof fetch | undefined;
  return async (input, init) => {
    const { offlineReply } = await (loading ??= import("./offline-model.js").catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
    modelFetch ??= createChatCompletionsFetch({ delayMs: options.delayMs, reply: offlineReply, modelId: OFFLINE_MODEL_ID });
    return modelFetch(input, init);
  };
}
