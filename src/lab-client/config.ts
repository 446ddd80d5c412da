/**
 * Where the lab server is.
 *
 * Same origin by default: the lab server serves the built site and the lab
 * endpoints together. A separately hosted static site sets the lab server's
 * base URL at build time:
 *
 *   PUBLIC_LAB_URL=https://lab.example.org npx astro build
 *
 * (Astro exposes PUBLIC_* variables to client code as import.meta.env.*.)
 * That lab server must then list the site's origin as allowed, and its
 * session cookie must be SameSite=None; Secure so the browser sends it
 * cross-site.
 */
import { LAB_CHECK_PATH, LAB_PREVIEW_PATH, LAB_SESSION_PATH, LAB_WS_PATH } from '../../lab-server/src/protocol.ts';

export interface LabEndpoints {
  sessionUrl: string;
  wsUrl: string;
  /** POST { challenge } runs that challenge's check in the session's sandbox. */
  checkUrl: string;
  /** GET: the sandbox's published ports; POST { port }: a preview URL (port preview, src/lab-client/preview.ts). */
  previewUrl: string;
}

/** Pure: resolves the endpoints from an optional base URL and the page's URL. */
export function labEndpoints(base: string | undefined, pageUrl: string): LabEndpoints {
  const root = new URL(base && base.trim() !== '' ? base.trim() : '/', pageUrl);
  // A base with a path (https://host/some/prefix) keeps its prefix.
  const prefix = root.pathname.replace(/\/+$/, '');
  const http = new URL(root.origin);
  http.pathname = prefix + LAB_SESSION_PATH;
  const ws = new URL(root.origin);
  ws.protocol = root.protocol === 'https:' ? 'wss:' : 'ws:';
  ws.pathname = prefix + LAB_WS_PATH;
  const check = new URL(root.origin);
  check.pathname = prefix + LAB_CHECK_PATH;
  const preview = new URL(root.origin);
  preview.pathname = prefix + LAB_PREVIEW_PATH;
  return { sessionUrl: http.toString(), wsUrl: ws.toString(), checkUrl: check.toString(), previewUrl: preview.toString() };
}

export function configuredLabUrl(): string | undefined {
  // import.meta.env exists under Vite/Astro; guarded for other bundlers.
  const env = (import.meta as ImportMeta & { env?: Record<string, string | undefined> }).env;
  return env?.PUBLIC_LAB_URL;
}
