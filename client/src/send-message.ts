/**
 * Delivering one user message over the socket until the server says it is durable. A timeout or a
 * dropped connection does not tell whether the server got it, so the message is sent again with the
 * same `clientMsgId` and the server keeps one copy.
 */
import { z } from "zod";
import type { SendPayload } from "../../shared/socket-events.js";
import { awaitAck, type SwitchboardSocket } from "./socket.js";

export type DeliveryResult = { ok: true; eventId: string } | { ok: false; code: string; message: string };

export interface DeliveryOptions {
  /** How long to wait for the acknowledgement of one attempt. @defaultValue 10000 */
  timeoutMs?: number;
  /** Attempts that time out while connected before giving up. @defaultValue 4 */
  maxTimeouts?: number;
}

const SendData = z.object({ eventId: z.string() });

/** Letters, digits, '-' and '_' (the server's pattern), unique enough to never collide. */
export function newClientMsgId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID().replace(/-/g, "");
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function untilConnected(socket: SwitchboardSocket): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve) => socket.once("connect", () => resolve()));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function deliverMessage(socket: SwitchboardSocket, payload: SendPayload, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxTimeouts = options.maxTimeouts ?? 4;
  let timeouts = 0;
  for (;;) {
    await untilConnected(socket);
    try {
      const result = await awaitAck(SendData, (callback) => socket.timeout(timeoutMs).emit("message:send", payload, callback));
      return result.ok ? { ok: true, eventId: result.data.eventId } : { ok: false, code: result.code, message: result.message };
    } catch {
      // A drop is not the server's fault: wait for the reconnect. Only silence while connected counts.
      if (socket.connected && ++timeouts >= maxTimeouts) {
        return { ok: false, code: "timeout", message: "The server did not confirm the message." };
      }
      await sleep(Math.min(4_000, 300 * 2 ** timeouts));
    }
  }
}
