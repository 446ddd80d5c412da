/**
 * One JSON request to a class-mode route (protocol.ts "class mode"), as the
 * console, the join page and the learner's dock make them: credentials
 * included (the cookies are HttpOnly; nothing secret is ever in a URL), the
 * answer checked against its zod schema, and every failure turned into the
 * Korean sentence the page shows (ko.classroom.errors per error code).
 */
import type { z } from 'zod';
import { refusalText, requestJson, type RefusalTexts } from '../lab-client/lab-fetch.ts';
import { ko } from '../lab-client/messages.ko.ts';

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; code: string | null; message: string };

/** The Korean text for a failed answer: by error code, else by status (0: not reached). */
export function failureText(status: number, code: string | null): string {
  return refusalText(status, code, REFUSALS);
}
const REFUSALS: RefusalTexts = {
  byCode: ko.classroom.errors,
  byStatus: { 0: ko.classroom.unreachable, 429: ko.classroom.errors['rate-limited'] },
  fallback: ko.classroom.failedRequest,
};

export interface CallOptions<T> {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** Schema of a 2xx body; omitted for 204 answers. */
  schema?: z.ZodType<T>;
  fetchImpl?: typeof fetch;
}

export async function call<T = undefined>(url: string, options: CallOptions<T> = {}): Promise<ApiResult<T>> {
  const { method, body, schema } = options;
  const answer = await requestJson(url, { method, json: body }, options.fetchImpl ?? fetch.bind(globalThis));
  if (!answer) return { ok: false, status: 0, code: null, message: failureText(0, null) };
  const { status } = answer;
  if (!answer.ok) return { ok: false, status, code: answer.code, message: failureText(status, answer.code) };
  if (!schema) return { ok: true, status, data: undefined as T };
  const parsed = schema.safeParse(answer.body);
  if (parsed.success) return { ok: true, status, data: parsed.data };
  return { ok: false, status, code: 'internal', message: failureText(status, 'internal') };
}
