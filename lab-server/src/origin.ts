/**
 * Who is asking: the Origin allowlist, the client's IP behind trusted
 * proxies, and whether the request came over HTTPS.
 *
 * Why Origin matters here: the session cookie is sent by the browser on any
 * request to our host, so without the check any web page could open a
 * terminal in a visitor's sandbox (Play with Docker accepted WebSockets from
 * any origin). Every WebSocket upgrade and every session request must carry
 * an allowed Origin; a request without one is refused too (browsers always
 * send it on these requests, so only scripts omit it, and they can set it).
 *
 * The server's own origin is LAB_PUBLIC_ORIGIN when set, else derived from
 * the request's Host (and X-Forwarded-Host/-Proto from a trusted proxy).
 * Deriving it from Host is what makes `npm start` work on any address, but
 * a DNS-rebinding page can make Host and Origin agree: set LAB_PUBLIC_ORIGIN
 * on a public deployment.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface OriginPolicyOptions {
  publicOrigin: string | undefined;
  allowedOrigins: readonly string[];
  /** `loopback`, `private`, IPs, CIDRs. */
  trustedProxies: readonly string[];
}

export type OriginVerdict =
  | { ok: true; origin: string; crossOrigin: boolean }
  | { ok: false; reason: 'missing-origin' | 'foreign-origin'; origin: string | undefined };

/** Strips the IPv4-mapped IPv6 prefix Node reports for IPv4 clients on a dual-stack socket. */
/** One spelling per address: IPv4-mapped IPv6 becomes IPv4, IPv6 is compressed and lower-case. */
export function normalizeIp(ip: string): string {
  return ipaddr.isValid(ip) ? ipaddr.process(ip).toString() : ip;
}

/**
 * What per-client caps and rate limits count: an IPv4 address, or the /64
 * an IPv6 address belongs to. A single home or cloud host is routinely given
 * a whole /64 and can pick a new address from it for every request, so
 * counting IPv6 addresses one by one would make the caps meaningless.
 */
export function clientKey(ip: string): string {
  const n = normalizeIp(ip);
  if (isIP(n) !== 6) return n;
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${n.split('%')[0]}/64`).toString()}/64`;
}

function buildBlockList(items: readonly string[]): BlockList {
  const list = new BlockList();
  const add = (cidr: string) => {
    const [ip, bits] = cidr.split('/') as [string, string | undefined];
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, family);
    else list.addSubnet(ip, Number(bits), family);
  };
  for (const item of items) {
    if (item === 'loopback') ['127.0.0.0/8', '::1/128'].forEach(add);
    else if (item === 'private') ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', '127.0.0.0/8', '::1/128'].forEach(add);
    else add(item);
  }
  return list;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0]?.trim() || undefined;
}

export class OriginPolicy {
  private readonly publicOrigin: string | undefined;
  private readonly allowed: ReadonlySet<string>;
  private readonly proxies: BlockList;
  private readonly hasProxies: boolean;

  constructor(options: OriginPolicyOptions) {
    this.publicOrigin = options.publicOrigin;
    this.allowed = new Set(options.allowedOrigins);
    this.proxies = buildBlockList(options.trustedProxies);
    this.hasProxies = options.trustedProxies.length > 0;
  }

  private isTrustedProxy(ip: string): boolean {
    if (!this.hasProxies) return false;
    const n = normalizeIp(ip);
    const family = isIP(n);
    if (family === 0) return false;
    return this.proxies.check(n, family === 6 ? 'ipv6' : 'ipv4');
  }

  private viaTrustedProxy(req: IncomingMessage): boolean {
    return this.isTrustedProxy(req.socket.remoteAddress ?? '');
  }

  /**
   * The client's IP for per-client caps. Behind trusted proxies, the
   * right-most X-Forwarded-For entry that is not itself a trusted proxy
   * (entries further left are whatever the client claimed).
   */
  clientIp(req: IncomingMessage): string {
    const peer = normalizeIp(req.socket.remoteAddress ?? 'unknown');
    if (!this.isTrustedProxy(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : header ?? '')
      .split(',')
      .map((h) => normalizeIp(h.trim()))
      .filter((h) => isIP(h) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!this.isTrustedProxy(hops[i]!)) return hops[i]!;
    }
    return hops[0] ?? peer;
  }

  isHttps(req: IncomingMessage): boolean {
    if ((req.socket as { encrypted?: boolean }).encrypted) return true;
    if (this.viaTrustedProxy(req)) return firstHeader(req.headers['x-forwarded-proto'])?.toLowerCase() === 'https';
    return false;
  }

  /** The origin this server is reached at, as the browser sees it. */
  ownOrigin(req: IncomingMessage): string | undefined {
    if (this.publicOrigin) return this.publicOrigin;
    const host = (this.viaTrustedProxy(req) && firstHeader(req.headers['x-forwarded-host'])) || req.headers.host;
    if (!host) return undefined;
    try {
      return new URL(`${this.isHttps(req) ? 'https' : 'http'}://${host}`).origin;
    } catch {
      return undefined;
    }
  }

  check(req: IncomingMessage): OriginVerdict {
    const raw = req.headers.origin;
    if (!raw || raw === 'null') return { ok: false, reason: 'missing-origin', origin: raw };
    let origin: string;
    try {
      origin = new URL(raw).origin;
    } catch {
      return { ok: false, reason: 'foreign-origin', origin: raw };
    }
    if (origin === this.ownOrigin(req)) return { ok: true, origin, crossOrigin: false };
    if (this.allowed.has(origin)) return { ok: true, origin, crossOrigin: true };
    return { ok: false, reason: 'foreign-origin', origin: raw };
  }

  /** For CORS: only allowlisted cross origins get credentialed CORS headers. */
  isAllowedCrossOrigin(origin: string | undefined): boolean {
    return origin !== undefined && this.allowed.has(origin);
  }
}
