import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";

/**
 * How a request's client address is found, for the limits that count per address: the TCP peer's
 * address; or, when that peer is a proxy the operator trusts (SWITCHBOARD_TRUSTED_PROXIES), the
 * address the proxies forwarded in X-Forwarded-For, read from the right up to the first hop that
 * is not trusted, so a client cannot choose its own address by sending the header.
 */
export function clientAddressOf(trustedProxies: readonly string[]): (request: IncomingMessage) => string {
  if (trustedProxies.length === 0) return (request) => normalized(request.socket.remoteAddress);
  const trust = proxyaddr.compile([...trustedProxies]);
  return (request) => normalized(proxyaddr(request, trust));
}

/** An IPv4 client on an IPv6 socket counts as its IPv4 address. */
function normalized(address: string | undefined): string {
  if (!address) return "unknown";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
