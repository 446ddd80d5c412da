/**
 * Port preview from a test or a benchmark (issue 11): where a server's
 * preview listener is, and opening a preview the way the page does (POST
 * /lab/preview, then the one-time ticket URL, which answers with the owner
 * cookie and a redirect to the capability path).
 */
import { request } from 'node:http';
import { LAB_PREVIEW_PATH, PreviewOpened } from '../../lab-server/src/protocol.ts';
import type { LabServer } from './lab-server.ts';

/** The preview origin of a server started by startLabServer (from its "port preview listening" log line). */
export function previewUrl(server: LabServer): string {
  for (const line of server.logs) {
    if (!line.includes('"port preview listening"')) continue;
    const port = (JSON.parse(line) as { port?: number }).port;
    if (port) return `http://127.0.0.1:${port}`;
  }
  throw new Error('the server did not log "port preview listening"');
}

/** POST /lab/preview for `port` as the reader with `cookie` (lab_session=…); throws unless 200. */
export async function requestPreview(server: LabServer, cookie: string, port: number): Promise<PreviewOpened> {
  const res = await fetch(new URL(LAB_PREVIEW_PATH, server.url), {
    method: 'POST',
    headers: { origin: server.origin, cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ port }),
  });
  if (res.status !== 200) throw new Error(`POST ${LAB_PREVIEW_PATH}: HTTP ${res.status} ${await res.text()}`);
  return PreviewOpened.parse(await res.json());
}

/**
 * Redeems a ticket URL: the status, the capability path it redirects to (`/<cap>/`), the owner cookie
 * (`lab_preview_owner=…`, the first Set-Cookie line) and every cookie it sets (`name=value`).
 */
export function redeemTicket(url: string): Promise<{ status: number; path: string; owner: string; setCookie: string; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'sec-fetch-site': 'same-site', 'sec-fetch-dest': 'iframe' } }, (res) => {
      res.resume();
      const lines = res.headers['set-cookie'] ?? [];
      const setCookie = lines[0] ?? '';
      const cookies = lines.map((line) => line.split(';')[0]!);
      resolve({ status: res.statusCode ?? 0, path: String(res.headers.location ?? ''), owner: cookies[0] ?? '', setCookie, cookies });
    });
    req.on('error', reject);
    req.end();
  });
}
