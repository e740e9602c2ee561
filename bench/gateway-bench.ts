import type { Conversations } from "../platform/conversations.js";
import type { ConversationLog } from "../platform/conversation-log.js";
import { SocketClient } from "../test/support/socket-client.js";
import { rssMb } from "./stats.js";

/** Event appended to the log → received by a Socket.IO client joined to the conversation. */
export async function pushLatency(
  url: string,
  token: string,
  conversations: Conversations,
  conversationLog: ConversationLog,
  samples: number,
): Promise<number[]> {
  const client = new SocketClient(url, token);
  await client.connected();
  const conversation = await conversations.create("local", "push latency");
  const joined = await client.join(conversation.id);
  if (!joined.ok) throw new Error(joined.error.message);
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const received = new Promise<number>((resolve) => client.socket.once("conversation:event", () => resolve(performance.now())));
    const start = performance.now();
    await conversationLog.append(conversation.id, { type: "message.user", data: { text: `ping ${i}` } });
    latencies.push((await received) - start);
  }
  client.close();
  return latencies;
}

/** The server's resident memory with `count` connected, idle clients. */
export async function idleClientsMemory(url: string, token: string, pid: number, count: number) {
  const baselineMb = await rssMb(pid);
  const clients: SocketClient[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, () => new SocketClient(url, token));
    await Promise.all(batch.map((client) => client.connected()));
    clients.push(...batch);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const measured = await rssMb(pid);
  for (const client of clients) client.close();
  return { clients: count, rssMb: measured, baselineMb };
}
