import { createChatCompletionsFetch } from "../chat-completions-fetch.js";
import { offlineReply } from "./offline-model.js";

/** The model id the offline model lists; it answers to any requested id and echoes it back. */
export const OFFLINE_MODEL_ID = "offline";

/** The offline model behind the chat completions wire protocol, for the SDK's `fetch` option. */
export function createOfflineFetch(options: { delayMs: number }): typeof fetch {
  return createChatCompletionsFetch({ delayMs: options.delayMs, reply: offlineReply, modelId: OFFLINE_MODEL_ID });
}
