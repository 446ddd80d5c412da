/**
 * Every cookie this server sets is written here: HttpOnly always (no script,
 * the lab's or a preview's, ever reads one: cookies are not isolated by port,
 * so the preview origin's scripts share the lab host's cookie jar), SameSite
 * and Secure as the caller's rule says. Names: lab_session (Path=/lab),
 * lab_learner (Path=/), lab_admin (Path=/instructor), the preview origin's
 * own (preview/addressing.ts).
 */
export interface CookieOptions {
  path: string;
  sameSite: 'Strict' | 'Lax' | 'None';
  secure: boolean;
  /** Omitted: a session cookie (gone when the browser closes); 0 deletes it. */
  maxAgeSeconds?: number;
}

export function setCookieHeader(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    'HttpOnly',
    `SameSite=${options.sameSite}`,
    ...(options.maxAgeSeconds === undefined ? [] : [`Max-Age=${options.maxAgeSeconds}`]),
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
