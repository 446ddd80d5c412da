/**
 * Class mode from outside, as the instructor's console and the join page
 * use it (protocol.ts CLASS_API, JOIN_API): log in, create a class, start
 * it, join learners, read /metrics. For integration tests and benchmarks
 * against a real server (tests/support/lab-server.ts starts one).
 */
import { CLASS_API, ClassView, JOIN_API, JoinResponse, LAB_SESSION_PATH, SESSION_COOKIE } from '../../lab-server/src/protocol.ts';
import type { LabEndpoint } from './terminal.ts';

export interface Answer {
  status: number;
  json: any;
  text: string;
  headers: Headers;
  /** `name=value` of each Set-Cookie. */
  cookies: string[];
  /** The first Set-Cookie as sent (attributes included), or ''. */
  setCookie: string;
  /** Milliseconds from sending to the whole body. */
  ms: number;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is instead of `body` (bad JSON on purpose). */
  raw?: string;
  cookie?: string;
  /** Origin header: the server's own unless given; null sends none. */
  origin?: string | null;
}

/** One request as the page makes it (Origin and cookies), the answer read whole: the one class-mode HTTP client of tests and benchmarks. */
export async function call(server: LabEndpoint, method: string, route: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.origin !== null) headers.origin = opts.origin ?? server.origin;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  const res = await fetch(new URL(route, server.url), {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const all = res.headers.getSetCookie();
  return {
    status: res.status,
    json,
    text,
    headers: res.headers,
    cookies: all.map((c) => c.split(';')[0]!),
    setCookie: all[0] ?? '',
    ms: performance.now() - started,
  };
}

const expect = (a: Answer, status: number, what: string) => {
  if (a.status !== status) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.json)}`);
  return a;
};

/** The instructor's cookie (`lab_admin=…`) for LAB_ADMIN_TOKEN `token`. */
export async function instructorLogin(server: LabEndpoint, token: string): Promise<string> {
  const a = expect(await call(server, 'POST', CLASS_API.login, { body: { token } }), 204, 'login');
  return a.cookies.find((c) => c.startsWith('lab_admin='))!;
}

export async function createClass(
  server: LabEndpoint,
  admin: string,
  body: { name: string; seats: number; durationMinutes: number; startsAt?: number },
): Promise<ClassView> {
  return ClassView.parse(expect(await call(server, 'POST', CLASS_API.classes, { cookie: admin, body }), 201, 'create class').json);
}

/** POST …/classes/:id/<action> (start, end, message, extend) as the instructor. */
export async function classAction(server: LabEndpoint, admin: string, id: string, action: string, body?: unknown): Promise<Answer> {
  return call(server, 'POST', `${CLASS_API.classes}/${id}/${action}`, { cookie: admin, body });
}

export interface JoinedLearner {
  id: string;
  /** `lab_learner=…` */
  learnerCookie: string;
}

export async function joinClass(server: LabEndpoint, code: string, name: string): Promise<JoinedLearner> {
  const a = expect(await call(server, 'POST', JOIN_API.join, { body: { code, name } }), 201, `join ${name}`);
  return { id: JoinResponse.parse(a.json).learner.id, learnerCookie: a.cookies.find((c) => c.startsWith('lab_learner='))! };
}

/** A learner's POST /lab/session: the answer, and the Cookie header for the terminal (session and learner cookies). */
export async function learnerSession(server: LabEndpoint, learner: JoinedLearner, sessionCookie = ''): Promise<Answer & { cookie: string }> {
  const cookie = [sessionCookie, learner.learnerCookie].filter(Boolean).join('; ');
  const a = await call(server, 'POST', LAB_SESSION_PATH, { cookie });
  const session = a.cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? sessionCookie;
  return { ...a, cookie: [session, learner.learnerCookie].filter(Boolean).join('; ') };
}

/** One sample of /metrics: the value of `name` with these labels (0 when absent). */
export async function metric(server: LabEndpoint, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(new URL('/metrics', server.url))).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m && m[1] === name && want.every((w) => (m[2] ?? '').split(',').includes(w))) return Number(m[3]);
  }
  return 0;
}
