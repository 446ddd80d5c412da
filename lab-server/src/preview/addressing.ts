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
 *   stylesheets) arrive without the prefix. Every preview response says
 *   `Referrer-Policy: unsafe-url`, so such a request carries the page it came
 *   from in `Referer`; when that names a capability, the answer is 307 to the
 *   same path under it (capabilityFromReferer). Without one: 404.
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

/** 32 bytes of base64url. */
export const CAPABILITY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** The one-time ticket exchange that sets the owner cookie (registry.ts). */
export const OPEN_PATH = '/__lab/open';
/** The preview origin's owner cookie (HttpOnly, SameSite=Lax, Path=/). */
export const OWNER_COOKIE = 'lab_preview_owner';

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
 * (the browser leaves the preview, sandboxed as before).
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

/** `sandbox` without allow-same-origin: the preview runs in an opaque origin (no cookies, no storage, `Origin: null`). */
export const PREVIEW_SANDBOX = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads allow-popups-to-escape-sandbox';

/** The headers every preview response carries (pages.ko.ts's own pages too). */
export function previewSecurityHeaders(frameAncestors: readonly string[]): Record<string, string> {
  return {
    'Content-Security-Policy': `${PREVIEW_SANDBOX}; frame-ancestors ${frameAncestors.length ? frameAncestors.join(' ') : "'none'"}`,
    'Referrer-Policy': 'unsafe-url',
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

/**
 * Whether a request for a live capability may go through, given whose
 * owner cookie it carries (`match`: this capability's session, `other`:
 * another live session, `none`: no cookie, or one of no live session) and
 * its `Sec-Fetch-Site`. Another reader's cookie: never. No cookie: only a
 * request some page made (the sandboxed preview's own subresources and
 * navigations, which carry no SameSite cookie); not a URL typed, pasted or
 * bookmarked (`Sec-Fetch-Site: none`) and not a client that sends no
 * Sec-Fetch headers at all (scripts, curl). Pure.
 */
export function ownerAllows(owner: 'match' | 'other' | 'none', secFetchSite: string | undefined): boolean {
  if (owner === 'other') return false;
  if (owner === 'match') return true;
  return secFetchSite !== undefined && secFetchSite !== 'none';
}
