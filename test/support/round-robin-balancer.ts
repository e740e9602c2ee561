/**
 * A load balancer for tests, with no stickiness at all: each HTTP request goes to the next backend
 * in turn; each WebSocket upgrade (a connection, piped to its backend until either side closes) to
 * the backend with the fewest open WebSockets, the next in turn on a tie, as balancers do for
 * long-lived connections. So two pages' WebSockets land on two servers even when a slow machine
 * makes one page try twice. It keeps count of what it sent where. It can also stand for a proxy
 * that does not pass WebSocket through: one that refuses the upgrade, or one that swallows it and
 * never answers.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

export interface BalancerOptions {
  /** Backend base URLs (`http://127.0.0.1:port`), taken in turn. */
  backends: string[];
  /**
   * What becomes of WebSocket upgrades: `pass` them to a backend, `refuse` them (400), or
   * `swallow` them (the connection stays open and nothing ever answers). @defaultValue "pass"
   */
  upgrades?: "pass" | "refuse" | "swallow";
}

/** What went to one backend. */
export interface BackendTraffic {
  /** HTTP requests of any kind. */
  requests: number;
  /** Socket.IO long-polling requests (`/socket.io/?…&transport=polling`). */
  polls: number;
  /** Of those, the ones the backend refused because it did not know the session (400 "Session ID unknown"). */
  unknownSessions: number;
  /** WebSocket connections piped through. */
  websockets: number;
  /** Of those, the ones open now. */
  openWebsockets: number;
}

export interface RoundRobinBalancer {
  url: string;
  /** Per backend, in the order given. */
  traffic: BackendTraffic[];
  /** WebSocket upgrades refused or swallowed. */
  blockedUpgrades: number;
  close(): Promise<void>;
}

const isPoll = (request: IncomingMessage): boolean => /^\/socket\.io\/\?(.*&)?transport=polling(&|$)/.test(request.url ?? "");

export async function startRoundRobinBalancer(options: BalancerOptions): Promise<RoundRobinBalancer> {
  const backends = options.backends.map((backend) => new URL(backend));
  const traffic: BackendTraffic[] = backends.map(() => ({ requests: 0, polls: 0, unknownSessions: 0, websockets: 0, openWebsockets: 0 }));
  let nextRequest = 0;
  let nextUpgrade = 0;
  const open = new Set<Socket>();
  const balancer: RoundRobinBalancer = { url: "", traffic, blockedUpgrades: 0, close };

  const server: Server = createServer((request, response) => {
    const index = nextRequest++ % backends.length;
    const backend = backends[index] as URL;
    const counts = traffic[index] as BackendTraffic;
    const poll = isPoll(request);
    counts.requests++;
    if (poll) counts.polls++;
    const upstream = httpRequest(
      { host: backend.hostname, port: backend.port, method: request.method, path: request.url, headers: request.headers },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
        if (poll && reply.statusCode === 400) {
          let body = "";
          reply.on("data", (chunk: Buffer) => (body += chunk.toString()));
          reply.on("end", () => {
            if (body.includes("Session ID unknown")) counts.unknownSessions++;
          });
        }
      },
    );
    upstream.on("error", () => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
    request.pipe(upstream);
  });

  server.on("upgrade", (request: IncomingMessage, client: Socket, head: Buffer) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => client.destroy());
    if (options.upgrades === "refuse" || options.upgrades === "swallow") {
      balancer.blockedUpgrades++;
      if (options.upgrades === "refuse") client.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const fewest = Math.min(...traffic.map((counts) => counts.openWebsockets));
    let index = nextUpgrade++ % backends.length;
    while ((traffic[index] as BackendTraffic).openWebsockets > fewest) index = (index + 1) % backends.length;
    const backend = backends[index] as URL;
    const counts = traffic[index] as BackendTraffic;
    counts.websockets++;
    counts.openWebsockets++;
    client.once("close", () => counts.openWebsockets--);
    const upstream = connect(Number(backend.port), backend.hostname, () => {
      // The request line and headers as received; the backend answers the upgrade itself.
      const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    open.add(upstream);
    upstream.on("close", () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  balancer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function close(): Promise<void> {
    for (const socket of open) socket.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return balancer;
}
