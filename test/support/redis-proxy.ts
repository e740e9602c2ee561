import { createConnection, createServer, type Socket } from "node:net";

/** A command as a client sent it: its name (upper case) and every argument as text. */
export interface ProxiedCommand {
  name: string;
  args: string[];
}

/**
 * A TCP proxy in front of a real Redis that reads the commands clients send (RESP arrays) and
 * passes them on one by one until `stopAt` says stop: from then on that connection forwards
 * nothing more, as if its process had died right before sending that command. Tests use it to
 * crash a process at an exact point between two Redis writes.
 */
export async function startRedisProxy(
  redisPort: number,
  stopAt: (command: ProxiedCommand) => boolean,
): Promise<{ url: string; stopped: Promise<ProxiedCommand>; close(): Promise<void> }> {
  let resolveStopped: (command: ProxiedCommand) => void = () => {};
  const stopped = new Promise<ProxiedCommand>((resolve) => (resolveStopped = resolve));
  const sockets = new Set<Socket>();
  let halted = false;
  const server = createServer((client) => {
    const upstream = createConnection({ port: redisPort, host: "127.0.0.1" });
    sockets.add(client).add(upstream);
    upstream.pipe(client);
    let buffer = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      if (halted) return;
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const parsed = parseCommand(buffer);
        if (!parsed) return;
        if (stopAt(parsed.command)) {
          halted = true;
          resolveStopped(parsed.command);
          return;
        }
        upstream.write(buffer.subarray(0, parsed.length));
        buffer = buffer.subarray(parsed.length);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    stopped,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One complete RESP array of bulk strings at the start of `buffer`, or undefined if more must arrive. */
function parseCommand(buffer: Buffer): { command: ProxiedCommand; length: number } | undefined {
  const line = (from: number) => {
    const end = buffer.indexOf("\r\n", from);
    return end < 0 ? undefined : { text: buffer.toString("latin1", from, end), next: end + 2 };
  };
  const header = line(0);
  if (!header) return undefined;
  if (!header.text.startsWith("*")) {
    // An inline command (PING typed by hand); clients of the product never send one.
    return { command: { name: header.text.split(" ")[0]?.toUpperCase() ?? "", args: header.text.split(" ").slice(1) }, length: header.next };
  }
  const count = Number(header.text.slice(1));
  const parts: string[] = [];
  let offset = header.next;
  for (let i = 0; i < count; i++) {
    const size = line(offset);
    if (!size) return undefined;
    const length = Number(size.text.slice(1));
    if (buffer.length < size.next + length + 2) return undefined;
    parts.push(buffer.toString("utf8", size.next, size.next + length));
    offset = size.next + length + 2;
  }
  return { command: { name: (parts[0] ?? "").toUpperCase(), args: parts.slice(1) }, length: offset };
}
