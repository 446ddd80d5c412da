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
 * a DNS-rebinding page (evil.example resolving to 127.0.0.1 or an intranet
 * address) makes Host and Origin agree. Measured before: any Host with a
 * matching Origin was same-origin, so such a page could drive sandboxes on a
 * reader's laptop. So Host itself must be one of our names: loopback names
 * and addresses, this machine's host name and interface addresses, the hosts
 * of LAB_PUBLIC_ORIGIN / LAB_ALLOWED_ORIGINS, and LAB_ALLOWED_HOSTS. Any
 * other Host gets 421 on every route and upgrade, with a log line naming
 * the variable to set.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';

export interface OriginPolicyOptions {
  publicOrigin: string | undefined;
  allowedOrigins: readonly string[];
  /** `loopback`, `private`, IPs, CIDRs. */
  trustedProxies: readonly string[];
  /** LAB_ALLOWED_HOSTS: names (`*.example.org` for subdomains) and addresses. */
  allowedHosts?: readonly string[];
  /** The machine's own names and addresses (default: os.hostname() and every interface address). */
  machineHosts?: readonly string[];
}

/** This machine's host name and every interface address. */
export function machineHosts(): string[] {
  const out = [hostname().toLowerCase()];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(normalizeIp(a.address.split('%')[0]!));
  return out;
}

/** The host name of a Host header value (`name:port`, `[v6]:port`), lower-case, IPv6 without brackets; undefined if malformed. */
export function hostOf(header: string): string | undefined {
  try {
    const url = new URL(`http://${header}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    const h = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
    return isIP(h) ? normalizeIp(h) : h;
  } catch {
    return undefined;
  }
}

export type OriginVerdict =
  { ok: true; origin: string; crossOrigin: boolean } | { ok: false; reason: 'missing-origin' | 'foreign-origin'; origin: string | undefined };

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
  private readonly hosts = new Set<string>();
  private readonly hostSuffixes: string[] = [];

  constructor(options: OriginPolicyOptions) {
    this.publicOrigin = options.publicOrigin;
    this.allowed = new Set(options.allowedOrigins);
    this.proxies = buildBlockList(options.trustedProxies);
    this.hasProxies = options.trustedProxies.length > 0;
    const names = [
      'localhost',
      '::1',
      ...(options.machineHosts ?? machineHosts()),
      ...[options.publicOrigin, ...options.allowedOrigins].filter((o): o is string => !!o).map((o) => hostOf(new URL(o).host) ?? ''),
      ...(options.allowedHosts ?? []),
    ];
    for (const name of names.filter(Boolean)) {
      if (name.startsWith('*.')) this.hostSuffixes.push(name.slice(1).toLowerCase());
      else this.hosts.add(isIP(name) ? normalizeIp(name) : name.toLowerCase());
    }
  }

  /**
   * Whether a Host (or a trusted proxy's X-Forwarded-Host) names this
   * server. No Host at all (HTTP/1.0 scripts) passes: browsers always send one.
   */
  hostAllowed(req: IncomingMessage): { ok: true } | { ok: false; host: string } {
    const raw = (this.viaTrustedProxy(req) && firstHeader(req.headers['x-forwarded-host'])) || req.headers.host;
    if (!raw) return { ok: true };
    const host = hostOf(raw);
    if (host === undefined) return { ok: false, host: raw.slice(0, 100) };
    if (this.hosts.has(host) || host.endsWith('.localhost')) return { ok: true };
    if (isIP(host) === 4 && host.startsWith('127.')) return { ok: true };
    if (this.hostSuffixes.some((suffix) => host.endsWith(suffix))) return { ok: true };
    return { ok: false, host };
  }

  /** A connection's peer is a trusted proxy (per-client connection caps do not apply to it). */
  isTrustedProxyAddress(ip: string): boolean {
    return this.isTrustedProxy(ip);
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
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
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
    if (!host || !this.hostAllowed(req).ok) return undefined;
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
