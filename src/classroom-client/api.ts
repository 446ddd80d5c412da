/**
 * One JSON request to a class-mode route (protocol.ts "class mode"), as the
 * console, the join page and the learner's dock make them: credentials
 * included (the cookies are HttpOnly; nothing secret is ever in a URL), the
 * answer checked against its zod schema, and every failure turned into the
 * Korean sentence the page shows (ko.classroom.errors per error code).
 */
import type { z } from 'zod';
import { HttpError } from '../../lab-server/src/protocol.ts';
import { ko } from '../lab-client/messages.ko.ts';

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; code: string | null; message: string };

/** The Korean text for a failed answer: by error code, else by status. */
export function failureText(status: number, code: string | null): string {
  const byCode = code === null ? undefined : (ko.classroom.errors as Record<string, string | undefined>)[code];
  if (byCode) return byCode;
  if (status === 0) return ko.classroom.unreachable;
  if (status === 429) return ko.classroom.errors['rate-limited']!;
  return ko.classroom.failedRequest(status);
}

export interface CallOptions<T> {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** Schema of a 2xx body; omitted for 204 answers. */
  schema?: z.ZodType<T>;
  fetchImpl?: typeof fetch;
}

export async function call<T = undefined>(url: string, options: CallOptions<T> = {}): Promise<ApiResult<T>> {
  const { method = options.body === undefined ? 'GET' : 'POST', body, schema } = options;
  const fetchImpl = options.fetchImpl ?? fetch.bind(globalThis);
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method,
      credentials: 'include',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, code: null, message: failureText(0, null) };
  }
  let json: unknown = undefined;
  if (response.status !== 204) {
    try {
      json = await response.json();
    } catch {
      // a proxy's HTML page, or an empty body: judged by status
    }
  }
  if (response.ok) {
    if (!schema) return { ok: true, status: response.status, data: undefined as T };
    const parsed = schema.safeParse(json);
    if (parsed.success) return { ok: true, status: response.status, data: parsed.data };
    return { ok: false, status: response.status, code: 'internal', message: failureText(response.status, 'internal') };
  }
  const error = HttpError.safeParse(json);
  // Read as a plain string: a code newer than this page still gets its status's text.
  const code = error.success ? error.data.error : typeof (json as { error?: unknown })?.error === 'string' ? (json as { error: string }).error : null;
  return { ok: false, status: response.status, code, message: failureText(response.status, code) };
}
