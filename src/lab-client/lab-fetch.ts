/**
 * One JSON request from a page to the lab server, as every page-side caller
 * makes it (the session POST in connection.ts, 도전 과제 확인 in
 * challenge.ts, port preview in preview.ts, class mode in
 * src/classroom-client/api.ts): credentials included (the lab's cookies are
 * HttpOnly), JSON asked for, a JSON body sent as JSON, and an answer that is
 * not JSON (a proxy's HTML error page, an empty 204) read as no body, so the
 * caller judges it by status.
 *
 * And one rule for turning a refusal into the Korean sentence the page
 * shows: the error code (protocol.ts ErrorCode) first, read as a plain
 * string so a code newer than this page still falls through to its status;
 * then the status; then the caller's fallback. Codes are looked up as own
 * keys only (`constructor` is not a code).
 */
import { HttpError } from '../../lab-server/src/protocol.ts';

export interface JsonAnswer {
  status: number;
  ok: boolean;
  /** The parsed JSON body; null when there was none or it was not JSON. */
  body: unknown;
  /** A refusal's error code (any string the body's `error` holds); null on success or when absent. */
  code: string | null;
}

export interface JsonRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Sent as JSON (content-type set); omitted: no body. */
  json?: unknown;
}

/** The answer, or null when the server could not be reached at all. */
export async function requestJson(url: string, request: JsonRequest, fetchImpl: typeof fetch): Promise<JsonAnswer | null> {
  const { method = request.json === undefined ? 'GET' : 'POST', json } = request;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method,
      credentials: 'include',
      headers: json === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  } catch {
    return null;
  }
  let body: unknown = null;
  if (response.status !== 204) {
    try {
      body = await response.json();
    } catch {
      // a proxy's HTML error page: judged by status
    }
  }
  return { status: response.status, ok: response.ok, body, code: response.ok ? null : errorCode(body) };
}

/** The `error` of a refusal body as a plain string (codes newer than this page are kept), else null. */
export function errorCode(body: unknown): string | null {
  const parsed = HttpError.safeParse(body);
  if (parsed.success) return parsed.data.error;
  const code = (body as { error?: unknown } | null)?.error;
  return typeof code === 'string' ? code : null;
}

export interface RefusalTexts {
  /** Korean text per error code. */
  byCode: Readonly<Record<string, string | undefined>>;
  /** ...when the code is absent or unknown: per status. */
  byStatus: Readonly<Record<number, string | undefined>>;
  /** ...and when neither knows it. */
  fallback(status: number): string;
}

/** The Korean text for a refusal: by code, else by status, else the fallback. */
export function refusalText(status: number, code: string | null, texts: RefusalTexts): string {
  const byCode = code !== null && Object.hasOwn(texts.byCode, code) ? texts.byCode[code] : undefined;
  const byStatus = Object.hasOwn(texts.byStatus, status) ? texts.byStatus[status] : undefined;
  return byCode ?? byStatus ?? texts.fallback(status);
}
