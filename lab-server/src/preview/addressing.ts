/**
 * Port preview addressing, pure: how a request on the preview origin names
 * a (session, port), and what is rewritten on the way through (proxy.ts).
 *
 * Addressing: `<previewOrigin>/<capability>/<the app's own path>`. The
 * capability is 32 random bytes (base64url, 43 characters) minted per
 * (session, port) by POST /lab/preview (registry.ts). One extra host name
 * (or port) for every preview of every reader, so no wildcard DNS; the cost
 * is that the app does not own the origin's root. What makes apps work anyway:
 *
 * - Root-relative links and absolute links to the app's own host
 *   (WordPress: `/wp-admin/`, `http://<host>/wp-admin/install.php`, its
 *   stylesheets) arrive without the prefix. The preview is a real origin of
 *   its own (not an opaque one, see proxy.ts), so the browser sends its
 *   same-origin Referer and its cookies with them; every preview response
 *   says `Referrer-Policy: same-origin` (full Referer on the preview origin,
 *   none to other sites: the capability never leaks in a Referer, which
 *   `unsafe-url` did). placeRootRequest: the capability the Referer names,
 *   else the one in LAST_COOKIE (the owner's last opened preview: an app
 *   page with `<meta name="referrer" content="no-referrer">`); the answer is
 *   307 to the same path under it. Neither: 404. Measured in Chromium
 *   (tests/e2e/preview.test.ts): with the former opaque origin (CSP
 *   `sandbox`) no Referer and no cookie came, and every root-relative
 *   asset was a 404 (`net::ERR_BLOCKED_BY_ORB`).
 * - `Location` headers (absolute to the app's host, or root-relative) are
 *   rewritten under the prefix (rewriteLocation).
 * - The upstream sees `Host: <the preview origin's host>`, so an app that
 *   builds absolute URLs from Host (WordPress) links to the preview origin,
 *   where the two rules above take over. `localhost:<port>` would send the
 *   browser to the reader's own machine.
 *
 * Request targets are checked before anything is looked up: only
 * origin-form (`/…`), no absolute-form (`GET http://169.254.169.254/`), no
 * dot segments raw or percent-encoded, no backslash, no control character
 * (parseTarget). The target never chooses where a connection goes: that is
 * the capability's port, on 127.0.0.1 inside the owner's sandbox.
 */

import { setCookieHeader } from '../cookies.ts';

/** 32 bytes of base64url. */
export const CAPABILITY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** The one-time ticket exchange that sets the owner cookie (registry.ts). */
export const OPEN_PATH = '/__lab/open';
/** The preview origin's owner cookie (HttpOnly, SameSite=Lax, Path=/): required on every request (proxy.ts). */
export const OWNER_COOKIE = 'lab_preview_owner';
/** The capability the owner last opened (HttpOnly, SameSite=Lax, Path=/): where a root-relative request without a usable Referer goes. */
export const LAST_COOKIE = 'lab_preview_last';

/** A cookie of the preview origin: Path=/, HttpOnly, SameSite=Lax (its own requests are same-site), Secure over HTTPS. */
export const previewCookie = (name: string, value: string, https: boolean) =>
  setCookieHeader(name, value, { path: '/', sameSite: 'Lax', secure: https });

/** A navigation (the frame's or a tab's document): it records its capability in LAST_COOKIE. */
export const isDocumentLoad = (secFetchDest: string | undefined) =>
  secFetchDest === 'document' || secFetchDest === 'iframe' || secFetchDest === 'frame';

export type Target =
  | { kind: 'open'; ticket: string }
  | { kind: 'capability'; capability: string; rest: string }
  | { kind: 'other'; path: string }
  | { kind: 'bad'; reason: string };

/** A dot segment, raw or percent-encoded (`.`, `..`, `%2e`, `.%2E`, …), anywhere in the path. */
const DOT_SEGMENT = /(^|\/|%2f)(\.|%2e){1,2}(\/|%2f|$)/i;

/** Classifies a request target (`req.url`). Pure. */
export function parseTarget(raw: string | undefined): Target {
  const target = raw ?? '';
  if (!target.startsWith('/') || target.startsWith('//')) return { kind: 'bad', reason: 'not origin-form' };
  // Control characters and spaces never appear in a valid target; backslashes are read as slashes by some servers.
  if (/[\x00-\x20\x7f\\]/.test(target)) return { kind: 'bad', reason: 'bad character' };
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (DOT_SEGMENT.test(path)) return { kind: 'bad', reason: 'dot segment' };
  if (path === OPEN_PATH) {
    const ticket = new URLSearchParams(q < 0 ? '' : target.slice(q + 1)).get('ticket') ?? '';
    return CAPABILITY_PATTERN.test(ticket) ? { kind: 'open', ticket } : { kind: 'bad', reason: 'bad ticket' };
  }
  const slash = path.indexOf('/', 1);
  const first = slash < 0 ? path.slice(1) : path.slice(1, slash);
  if (CAPABILITY_PATTERN.test(first)) {
    const rest = (slash < 0 ? '/' : path.slice(slash)) + (q < 0 ? '' : target.slice(q));
    return { kind: 'capability', capability: first, rest };
  }
  return { kind: 'other', path: target };
}

/** The capability a `Referer` on the preview origin names, if any (only same-origin referers count). */
export function capabilityFromReferer(referer: string | undefined, previewOrigin: string): string | undefined {
  if (!referer) return undefined;
  const url = URL.parse(referer);
  if (!url || url.origin !== previewOrigin) return undefined;
  const first = url.pathname.split('/')[1] ?? '';
  return CAPABILITY_PATTERN.test(first) ? first : undefined;
}

/**
 * The capability a request without the prefix belongs to: the one its
 * same-origin Referer names, else the owner's last opened one (the value of
 * LAST_COOKIE), else none. Pure.
 */
export function placeRootRequest(referer: string | undefined, lastCapability: string | undefined, previewOrigin: string): string | undefined {
  const named = capabilityFromReferer(referer, previewOrigin);
  if (named) return named;
  return lastCapability && CAPABILITY_PATTERN.test(lastCapability) ? lastCapability : undefined;
}

export interface LocationContext {
  capability: string;
  /** The preview origin as the browser sees it (`https://preview.example.org`). */
  previewOrigin: string;
  /** The previewed port (an app may redirect to `http://localhost:<port>/…`). */
  port: number;
}

/**
 * An upstream `Location`, as the browser must see it: root-relative and
 * absolute ones to the app's own host (the preview origin, or
 * localhost/127.0.0.1 on the previewed port) move under the capability;
 * relative ones stay (they resolve under it already); other hosts stay
 * (the browser leaves the preview).
 */
export function rewriteLocation(location: string, ctx: LocationContext): string {
  const prefix = `/${ctx.capability}`;
  if (location.startsWith('/') && !location.startsWith('//')) return prefix + location;
  if (!/^([a-z][a-z0-9+.-]*:)?\/\//i.test(location)) return location;
  const url = URL.parse(location, ctx.previewOrigin);
  if (!url) return location;
  const own = new URL(ctx.previewOrigin);
  const sameHost = url.host === own.host;
  const local =
    /^(localhost|127\.0\.0\.1|\[::1\])$/.test(url.hostname) && (url.port || (url.protocol === 'https:' ? '443' : '80')) === String(ctx.port);
  if (!sameHost && !local) return location;
  if (url.pathname.split('/')[1] === ctx.capability) return url.pathname + url.search + url.hash;
  return prefix + url.pathname + url.search + url.hash;
}

/** Hop-by-hop headers (RFC 9110 7.6.1) and the proxy ones: never forwarded either way. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** A Cookie header without any `lab_*` cookie (the lab's own, and the preview's owner cookie), or undefined when nothing is left. */
export function stripLabCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part && !part.startsWith('lab_'));
  return kept.length ? kept.join('; ') : undefined;
}

/** Whether a Set-Cookie line sets a `lab_*` cookie (stripped: cookies are not isolated by port or subdomain). */
export const setsLabCookie = (line: string) => /^\s*lab_/.test(line);

export interface UpstreamRequestContext {
  /** What the app sees as Host: the preview origin's host. */
  host: string;
  capability: string;
  previewOrigin: string;
  /** An `Upgrade` request (WebSocket): Connection and Upgrade are kept. */
  upgrade: boolean;
}

/** The headers sent upstream: the browser's, minus hop-by-hop, `lab_*` cookies and the capability in Referer. Pure. */
export function upstreamRequestHeaders(headers: Record<string, string | string[] | undefined>, ctx: UpstreamRequestContext) {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'host' || name === 'cookie' || name === 'referer') continue;
    if (name.startsWith('x-forwarded-') || name === 'forwarded') continue;
    out[name] = value;
  }
  out.host = ctx.host;
  const cookie = stripLabCookies(Array.isArray(headers.cookie) ? headers.cookie.join('; ') : headers.cookie);
  if (cookie) out.cookie = cookie;
  const referer = typeof headers.referer === 'string' ? URL.parse(headers.referer) : null;
  if (referer && referer.origin === ctx.previewOrigin) {
    const prefix = `/${ctx.capability}`;
    const path = referer.pathname.startsWith(`${prefix}/`) ? referer.pathname.slice(prefix.length) : referer.pathname;
    out.referer = `${ctx.previewOrigin}${path}${referer.search}`;
  }
  if (ctx.upgrade) {
    out.connection = 'Upgrade';
    if (headers.upgrade) out.upgrade = headers.upgrade;
  }
  return out;
}

/**
 * The headers every preview response carries (pages.ko.ts's own pages too):
 * only the lab may frame it; the full Referer on the preview origin (placement,
 * placeRootRequest), none elsewhere. No CSP `sandbox`: its opaque origin sent
 * neither Referer nor cookies, so root-relative requests could not be placed.
 */
export function previewSecurityHeaders(frameAncestors: readonly string[]): Record<string, string> {
  return {
    'Content-Security-Policy': `frame-ancestors ${frameAncestors.length ? frameAncestors.join(' ') : "'none'"}`,
    'Referrer-Policy': 'same-origin',
  };
}

/** Upstream response headers the browser must not see, besides hop-by-hop ones: ours replace them. */
const REPLACED = new Set(['content-security-policy', 'content-security-policy-report-only', 'x-frame-options', 'referrer-policy']);

/**
 * The upstream response's headers as raw [name, value] pairs for the
 * browser: hop-by-hop and REPLACED ones dropped, `lab_*` Set-Cookie lines
 * dropped, Location rewritten, the security headers added. Pure.
 */
export function previewResponseHeaders(
  raw: readonly string[],
  ctx: LocationContext & { frameAncestors: readonly string[]; upgrade?: boolean },
): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (REPLACED.has(lower)) continue;
    if (HOP_BY_HOP.has(lower) && !(ctx.upgrade && (lower === 'connection' || lower === 'upgrade'))) continue;
    if (lower === 'set-cookie' && setsLabCookie(value)) continue;
    out.push(name, lower === 'location' || lower === 'content-location' ? rewriteLocation(value, ctx) : value);
  }
  for (const [name, value] of Object.entries(previewSecurityHeaders(ctx.frameAncestors))) out.push(name, value);
  return out;
}
