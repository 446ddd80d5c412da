/**
 * Where the preview origin is, as each side sees it. Pure.
 *
 * LAB_PREVIEW_ORIGIN set (behind a reverse proxy: `https://preview.example.org`,
 * one extra host name): that, everywhere. Unset: the preview listener is the
 * lab's host name on its own port (LAB_PREVIEW_LISTEN, default the lab's
 * port + 1), so the preview origin is the lab request's host name with that
 * port; no DNS at all. The lab's pages may frame it (`frame-src`), and the
 * preview may be framed only by the lab (`frame-ancestors`): its public
 * origin and LAB_ALLOWED_ORIGINS, or, when those are unset, the preview
 * request's host name on the lab's port.
 */
export interface PreviewOriginsOptions {
  /** LAB_PREVIEW_ORIGIN. */
  configured: string | undefined;
  /** LAB_PUBLIC_ORIGIN and LAB_ALLOWED_ORIGINS: the pages that may frame previews. */
  labOrigins: readonly string[];
  /** The ports the preview and the lab listeners listen on (read when needed: known once they listen). */
  ports: () => { preview: number; lab: number };
}

/** `host` without its port (IPv6 in brackets stays bracketed). */
const hostname = (host: string) => (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, ''));

export class PreviewOrigins {
  private readonly opts: PreviewOriginsOptions;
  constructor(opts: PreviewOriginsOptions) {
    this.opts = opts;
  }

  /** The preview origin for a page on the lab origin reached at `labHost` (a Host that passed the allowlist). */
  forLab(labHost: string, https: boolean): string {
    return this.opts.configured ?? `${https ? 'https' : 'http'}://${hostname(labHost)}:${this.opts.ports().preview}`;
  }

  /** The preview origin as a request on the preview listener reached it. */
  forPreview(previewHost: string, https: boolean): string {
    return this.opts.configured ?? `${https ? 'https' : 'http'}://${hostname(previewHost)}:${this.opts.ports().preview}`;
  }

  /** Who may frame a preview (`frame-ancestors`). */
  frameAncestors(previewHost: string, https: boolean): string[] {
    if (this.opts.labOrigins.length) return [...this.opts.labOrigins];
    return [`${https ? 'https' : 'http'}://${hostname(previewHost)}:${this.opts.ports().lab}`];
  }

  /** What the lab's pages may frame (`frame-src`): the preview origin, on any host name when it is derived. */
  frameSources(): string[] {
    if (this.opts.configured) return [this.opts.configured];
    return [`http://*:${this.opts.ports().preview}`, `https://*:${this.opts.ports().preview}`];
  }
}
