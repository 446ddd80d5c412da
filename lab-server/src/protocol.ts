/**
 * The lab wire protocol: the one module that both the page (src/lab-client)
 * and the lab server import. Change it here and both sides follow.
 *
 * Transport: one WebSocket per terminal at LAB_WS_PATH, subprotocol
 * LAB_SUBPROTOCOL (the version lives there, so an old page talking to a new
 * server fails at the handshake instead of misreading frames).
 *
 * - Binary frames carry raw terminal bytes: client -> server is keyboard
 *   input, server -> client is shell output.
 * - Text frames carry one JSON control message each, validated with zod on
 *   arrival. Unknown `type`s are ignored (forward compatibility); malformed
 *   known types are answered with an `error` message; frames over the size
 *   limit close the socket with CloseCode.TooLarge.
 *
 * Authentication is an HttpOnly session cookie set by POST LAB_SESSION_PATH;
 * the token never appears in a URL or in a message.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
export const LAB_SUBPROTOCOL = `lab.v${PROTOCOL_VERSION}`;
export const LAB_WS_PATH = '/lab/ws';
export const LAB_SESSION_PATH = '/lab/session';
export const SESSION_COOKIE = 'lab_session';

export const Limits = {
  /** Largest text (control) frame either side accepts. */
  maxControlFrameBytes: 4 * 1024,
  /** Largest binary input frame from the page (a paste is split by the client). */
  maxInputFrameBytes: 64 * 1024,
  /** Suggested most output bytes in flight beyond the page's last `ack` (see AckMessage). */
  ackWindowBytes: 256 * 1024,
  /** The page acknowledges after at least this much processed output (and when it has caught up). */
  ackEveryBytes: 64 * 1024,
  /** Terminal sizes are clamped into these bounds by the server. */
  minCols: 10,
  maxCols: 500,
  minRows: 3,
  maxRows: 200,
} as const;

/**
 * What the page does after a close: `new-session` = ask for a session and
 * reconnect at once; `retry` = reconnect by itself after a backoff (`reason`
 * names it); `wait` = stop until the reader acts (`reason` is what the page
 * shows); `drop` = as a dropped connection (the server's last `error`
 * message decides, else retry).
 */
type CloseCodeInfo =
  { code: number; meaning: string; page: 'new-session' | 'drop' } | { code: number; meaning: string; page: 'retry' | 'wait'; reason: string };

/**
 * Every close code the server sends (4000 range: why it hung up): the one
 * table for server, page (src/lab-client/close-policy.ts) and README
 * (generated: npm run docs:lab).
 */
export const CLOSE_CODES = {
  Normal: { code: 1000, meaning: 'the session was ended (`DELETE /lab/session`)', page: 'drop' },
  TooLarge: { code: 1009, meaning: 'frame too large, or too much input before `attached`', page: 'drop' },
  Unauthorized: { code: 4001, meaning: 'no session cookie', page: 'new-session' },
  ForbiddenOrigin: { code: 4003, meaning: 'Origin not allowed (this server refuses the upgrade with 403)', page: 'wait', reason: 'forbidden-origin' },
  NoSuchSession: { code: 4004, meaning: 'unknown session (e.g. after a server restart)', page: 'new-session' },
  ProtocolError: { code: 4005, meaning: 'too many bad messages, or no `hello` within `LAB_WS_HELLO_TIMEOUT`', page: 'retry', reason: 'internal' },
  RateLimited: { code: 4008, meaning: 'too many messages (`LAB_WS_RATE`)', page: 'retry', reason: 'rate-limited' },
  Replaced: { code: 4009, meaning: 'another page attached to this terminal', page: 'wait', reason: 'replaced' },
  Idle: { code: 4010, meaning: 'idle, or never used (`LAB_UNUSED_TIMEOUT`)', page: 'wait', reason: 'idle' },
  Expired: { code: 4011, meaning: 'lifetime over (`LAB_MAX_LIFETIME`); then a new session', page: 'wait', reason: 'session-expired' },
  OverCapacity: { code: 4012, meaning: 'over a cap: terminals per session, sockets per session or client', page: 'retry', reason: 'over-capacity' },
  SandboxFailed: { code: 4013, meaning: 'sandbox failed (boot, died, disk limit)', page: 'wait', reason: 'sandbox-failed' },
  ShuttingDown: { code: 4014, meaning: 'server shutting down', page: 'retry', reason: 'shutting-down' },
  EndedByInstructor: {
    code: 4015,
    meaning: "class mode: the instructor ended or reset the learner's session, or ended the class",
    page: 'wait',
    reason: 'ended-by-instructor',
  },
} as const satisfies Record<string, CloseCodeInfo>;
export type CloseCodeEntry = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

export const CloseCode = Object.fromEntries(Object.entries(CLOSE_CODES).map(([name, e]) => [name, e.code])) as {
  readonly [K in keyof typeof CLOSE_CODES]: (typeof CLOSE_CODES)[K]['code'];
};
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

const closeByCode = new Map<number, CloseCodeEntry>(Object.values(CLOSE_CODES).map((e) => [e.code, e]));
export const closeCodeInfo = (code: number): CloseCodeEntry | undefined => closeByCode.get(code);

const cols = z.number().int().positive().max(10_000);
const rows = z.number().int().positive().max(10_000);

// ---------------------------------------------------------------------------
// Client -> server
// ---------------------------------------------------------------------------

export const HelloMessage = z.object({
  type: z.literal('hello'),
  /** Terminal name inside the session; one shell per name. */
  terminal: z.string().regex(/^[a-z0-9-]{1,32}$/),
  cols,
  rows,
  /**
   * Output offset (bytes) the page already has. 0 after a reload: the server
   * replays its whole bounded buffer. After a dropped connection the page
   * sends what it has seen, so nothing is shown twice.
   */
  resumeFrom: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

export const ResizeMessage = z.object({ type: z.literal('resize'), cols, rows });

/** Flow control: the page's xterm.js write queue passed a watermark. */
export const PauseMessage = z.object({ type: z.literal('pause') });
export const ResumeMessage = z.object({ type: z.literal('resume') });

/** Liveness probe; the server answers with `pong` carrying the same id. */
export const PingMessage = z.object({ type: z.literal('ping'), id: z.number().int().min(0) });

/**
 * Flow control by acknowledgement (added after v1 shipped; optional for
 * both sides): the output offset (same numbering as hello.resumeFrom) up to
 * which the page's terminal has *processed* output. pause/resume alone
 * cannot bound what sits in kernel socket buffers between server and
 * browser (megabytes on loopback), so a flood keeps that much queued ahead
 * of a Ctrl-C. A server that honours `ack` keeps at most
 * Limits.ackWindowBytes sent but unacknowledged; one that does not know it
 * ignores it (unknown types are ignored). Sent at most every
 * Limits.ackEveryBytes of progress, so it stays far below the rate limit.
 */
export const AckMessage = z.object({ type: z.literal('ack'), processed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });

export const ClientMessage = z.discriminatedUnion('type', [HelloMessage, ResizeMessage, PauseMessage, ResumeMessage, PingMessage, AckMessage]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type HelloMessage = z.infer<typeof HelloMessage>;

// ---------------------------------------------------------------------------
// Server -> client
// ---------------------------------------------------------------------------

/** Boot phases of a sandbox, in order; the page shows them as progress. */
export const SandboxPhase = z.enum(['queued', 'creating', 'starting', 'engine', 'shell', 'ready']);
export type SandboxPhase = z.infer<typeof SandboxPhase>;

export const StatusMessage = z.object({
  type: z.literal('status'),
  phase: SandboxPhase,
  /** 0..1, monotonic during one boot. */
  progress: z.number().min(0).max(1),
});

/**
 * Sent once per attach, right before the output bytes that follow it:
 * binary frames after this start at byte offset `from` of the terminal's
 * output. `lost` > 0 means the bounded buffer no longer held what the page
 * asked for.
 */
export const AttachedMessage = z.object({
  type: z.literal('attached'),
  sessionExpiresAt: z.number().int(),
  from: z.number().int().min(0),
  lost: z.number().int().min(0),
  /** True when this attach started a new shell (first use or after exit). */
  freshShell: z.boolean(),
});

/** The shell process ended; a new `hello` starts a new one. */
export const ExitMessage = z.object({ type: z.literal('exit'), code: z.number().int().nullable() });

export const ErrorCode = z.enum([
  'bad-message',
  'over-capacity',
  'sandbox-failed',
  'session-expired',
  'rate-limited',
  'internal',
  /** HTTP only (403): the request's Origin is not allowed. */
  'forbidden-origin',
  /** HTTP only (503): the server is stopping; try again shortly. */
  'shutting-down',
  /** HTTP only (401/404, LAB_CHECK_PATH): no session cookie, or it names no live session (start one with 실행). */
  'no-session',
  /** HTTP only (404, LAB_CHECK_PATH): the server has no challenge with that id. */
  'unknown-challenge',
  /** HTTP only (409, LAB_CHECK_PATH): the session's sandbox is still booting; try again when the terminal is ready. */
  'sandbox-not-ready',
  /** HTTP only (429, LAB_CHECK_PATH): a check of this session is still running. */
  'check-running',
  // --- class mode (issue 13; HTTP only; the page's Korean text per code is in src/lab-client/messages.ko.ts) ---
  /** 401: an instructor route without a valid `lab_admin` cookie (log in at /instructor/). */
  'not-logged-in',
  /** 401 (POST CLASS_API.login): the admin token is wrong. */
  'bad-token',
  /** 401: a learner route without a valid `lab_learner` cookie (join at /join/). */
  'not-joined',
  /** 404: no class, learner or help request with that id (or not one the caller may see). */
  'not-found',
  /** 404 (join): no class has this join code. */
  'no-such-class',
  /** 409 (join): every seat of the class is taken. */
  'class-full',
  /** 410: the class is over (its end time passed, or the instructor ended it). */
  'class-ended',
  /** 400: a display name that is empty after trimming, over ClassLimits.nameMax characters, or has control characters. */
  'bad-name',
  /** 400: a display name with `<` or `>` (markup is refused, not stored). */
  'name-markup',
  /** 403 (POST LAB_SESSION_PATH): LAB_ANONYMOUS_LABS=off and the caller has not joined a class. */
  'class-only',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorMessage = z.object({
  type: z.literal('error'),
  code: ErrorCode,
  /** English detail for logs; the page shows its own Korean text per code. */
  detail: z.string().max(500),
});

export const PongMessage = z.object({ type: z.literal('pong'), id: z.number().int().min(0) });

/**
 * Class mode (issue 13): a line for the dock. `time-warning`: the learner's
 * time ends at `endsAt` (sent once, 10 minutes before; also written as a
 * terminal line); `instructor`: a message from the instructor (`text`, as
 * typed: escape it); `ended`: the class or the learner's time is over (the
 * close that follows says how).
 */
export const NoticeMessage = z.object({
  type: z.literal('notice'),
  kind: z.enum(['time-warning', 'instructor', 'ended']),
  text: z.string().max(1000),
  /** Server time of the notice (epoch ms). */
  at: z.number().int(),
  /** time-warning: when the learner's session ends (epoch ms). */
  endsAt: z.number().int().optional(),
});
export type NoticeMessage = z.infer<typeof NoticeMessage>;

export const ServerMessage = z.discriminatedUnion('type', [StatusMessage, AttachedMessage, ExitMessage, ErrorMessage, PongMessage, NoticeMessage]);
export type ServerMessage = z.infer<typeof ServerMessage>;

// ---------------------------------------------------------------------------
// HTTP: POST LAB_SESSION_PATH
// ---------------------------------------------------------------------------

/** Body of a successful session request (the token itself travels only as an HttpOnly cookie). */
export const SessionResponse = z.object({
  /** True when an existing session was reused. */
  resumed: z.boolean(),
  expiresAt: z.number().int(),
  idleTimeoutMs: z.number().int(),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

/**
 * Class mode: 202 answer to a learner's session request when no seat of the
 * class (or no sandbox) is free. The page asks again every few seconds with
 * the same request; the place is the learner's (a reload keeps it), and a
 * place not asked for within QUEUE_POLL_TIMEOUT_MS is given up.
 */
export const QueuedResponse = z.object({
  queued: z.literal(true),
  /** 1-based place among the class's waiting learners. */
  position: z.number().int().min(1),
  /** Estimated wait (classroom/queue.ts says how it is estimated). */
  etaSeconds: z.number().int().min(0),
});
export type QueuedResponse = z.infer<typeof QueuedResponse>;
/** A queued learner asks again at least this often (the page: every 2-3 s), else the place is dropped. */
export const QUEUE_POLL_TIMEOUT_MS = 30_000;

/**
 * Class mode: the instructor's read-only mirror of a learner's terminal,
 * `MIRROR_WS_PATH?learner=<id>` with the ADMIN_COOKIE and an allowed Origin,
 * subprotocol MIRROR_SUBPROTOCOL. Server -> page: binary frames only, the
 * same bytes the learner's terminal gets (its recent output first); anything
 * the page sends is ignored. Closed with EndedByInstructor/Normal when the
 * learner's session ends, OverCapacity beyond the mirror caps or when the
 * instructor's page falls behind (the learner is never slowed).
 */
export const MIRROR_WS_PATH = '/instructor/ws/mirror';
export const MIRROR_SUBPROTOCOL = `lab-mirror.v${PROTOCOL_VERSION}`;

// ---------------------------------------------------------------------------
// HTTP: POST LAB_CHECK_PATH (도전 과제 확인)
// ---------------------------------------------------------------------------

/**
 * A challenge's check runs in the caller's own sandbox. The page sends only
 * the challenge id: the script is the server's (LAB_CHALLENGES_DIR), never
 * text from the page. Same session cookie and Origin rules as
 * LAB_SESSION_PATH.
 */
export const LAB_CHECK_PATH = '/lab/check';
export const ChallengeId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);
export const CheckRequest = z.object({ challenge: ChallengeId }).strict();
export type CheckRequest = z.infer<typeof CheckRequest>;
/** 200 answer: `passed` with the check's own Korean message (its last output lines). */
export const CheckResponse = z.object({
  challenge: ChallengeId,
  passed: z.boolean(),
  /** What the check printed (trimmed, bounded): on failure it says what is still wrong. */
  message: z.string(),
  /** The check's exit status; null when it was stopped at its time limit. */
  exitCode: z.number().int().nullable(),
});
export type CheckResponse = z.infer<typeof CheckResponse>;

// ---------------------------------------------------------------------------
// HTTP: GET/POST LAB_PREVIEW_PATH (포트 미리보기, issue 11)
// ---------------------------------------------------------------------------

/**
 * Port preview: what the reader's inner containers publish (`-p 8080:80`)
 * opens in the page. Same session cookie and Origin rules as LAB_CHECK_PATH.
 *
 *   GET  LAB_PREVIEW_PATH            -> 200 PreviewList (read from the inner engine, never from the page)
 *   POST LAB_PREVIEW_PATH {port}     -> 200 PreviewOpened; 409 `sandbox-not-ready` while it boots,
 *                                       401/404 `no-session`, 400 `bad-message`, 429 `rate-limited`
 *
 * The preview itself is served by a separate listener, a separate origin
 * (LAB_PREVIEW_ORIGIN), under an unguessable per-(session, port) capability
 * path: `<previewOrigin>/<capability>/...`. `url` opens it: a one-time
 * ticket that sets the preview origin's owner cookie and redirects to the
 * capability path; use it once (iframe src or new tab), and POST again for
 * another view (each POST mints a new ticket, the capability stays).
 * The preview origin is the isolation boundary (another origin than the
 * lab's; its responses say `frame-ancestors <the lab>`): an iframe showing
 * it that adds a `sandbox` attribute must include allow-same-origin (the
 * preview's own origin, not the lab's), or the app's same-origin Referer and
 * owner cookie are lost and its root-relative requests are 404s.
 */
export const LAB_PREVIEW_PATH = '/lab/preview';
export const PreviewPort = z.number().int().min(1).max(65535);
export const PreviewRequest = z.object({ port: PreviewPort }).strict();
export type PreviewRequest = z.infer<typeof PreviewRequest>;

/** One host port an inner container publishes (`docker ps`), as the inner engine reports it. */
export const PublishedPort = z.object({
  /** The sandbox-side port (the `8080` of `-p 8080:80`): what PreviewRequest names. */
  port: PreviewPort,
  /** The inner container's name (`web`). */
  containerName: z.string().max(256),
  /** The container's own port (the `80` of `-p 8080:80`). */
  containerPort: PreviewPort,
  /** Whether something accepts connections on `port` right now (the container may still be starting). */
  listening: z.boolean(),
});
export type PublishedPort = z.infer<typeof PublishedPort>;
export const PreviewList = z.object({ ports: z.array(PublishedPort).max(1000) });
export type PreviewList = z.infer<typeof PreviewList>;

/**
 * What POST found: `ready` = published and answering; `not-published` = a
 * running container exists but none publishes this port; `not-listening`
 * = published, but nothing accepts connections yet (starting, or the app
 * listens elsewhere): show "기다리는 중" and POST again after a while;
 * `no-container` = no running container at all (`docker ps` is empty).
 * `url` is returned in every state: the preview origin answers it with a
 * small Korean page that says the same and retries by itself.
 */
export const PreviewState = z.enum(['ready', 'not-published', 'not-listening', 'no-container']);
export type PreviewState = z.infer<typeof PreviewState>;
export const PreviewOpened = z.object({
  port: PreviewPort,
  /** Absolute URL on the preview origin (one-time: `…/__lab/open?ticket=…`); open in an iframe or a new tab. */
  url: z.string().url().max(2048),
  state: PreviewState,
  /** The preview origin (`https://preview.example.org`), for `frame-src` checks and postMessage filtering. */
  origin: z.string().url().max(512),
});
export type PreviewOpened = z.infer<typeof PreviewOpened>;

/** Error body of any lab HTTP endpoint. */
export const HttpError = z.object({ error: ErrorCode, detail: z.string() });

// ---------------------------------------------------------------------------
// HTTP: class mode (수업, issue 13): lab-server/src/classroom/http.ts
// ---------------------------------------------------------------------------

/**
 * Every class-mode route. JSON bodies (UTF-8, at most ClassLimits.bodyBytes),
 * errors as HttpError with the codes above; every POST checks Origin like
 * LAB_SESSION_PATH (403 `forbidden-origin`).
 *
 * Instructor (cookie ADMIN_COOKIE, Path=/instructor; 401 `not-logged-in` without it):
 *   POST CLASS_API.login {token}                 -> 204 + cookie; 401 `bad-token`; 429 `rate-limited`
 *   POST CLASS_API.logout                        -> 204, cookie cleared, live feeds of that login closed
 *   GET  CLASS_API.classes                       -> 200 ClassList
 *   POST CLASS_API.classes CreateClassRequest    -> 201 ClassView
 *   GET  CLASS_API.classes/:id                   -> 200 ClassSnapshot
 *   POST CLASS_API.classes/:id/start             -> 204 (grow the warm pool to the class's seats now)
 *   POST CLASS_API.classes/:id/end               -> 204 (every sandbox of the class removed; joining refused)
 *   POST CLASS_API.classes/:id/message {text}    -> 204 (shown in every connected learner's dock)
 *   POST CLASS_API.classes/:id/extend {minutes}  -> 200 ClassView (the class and every learner's end move)
 *   POST CLASS_API.learners/:id/reset|end        -> 204
 *   POST CLASS_API.learners/:id/extend {minutes} -> 200 LearnerEndsAt
 *   POST CLASS_API.help/:id/clear                -> 204
 *   GET  CLASS_API.classes/:id/progress.csv      -> 200 text/csv (UTF-8 with BOM, one row per learner and lesson)
 *   GET  CLASS_API.classes/:id/events            -> text/event-stream: event CLASS_EVENT_SNAPSHOT, data ClassSnapshot,
 *                                                   on every change and at least every ClassLimits.snapshotEveryMs;
 *                                                   503 `over-capacity` beyond the feed cap
 * Learner (cookie LEARNER_COOKIE, Path=/):
 *   POST JOIN_API.join JoinRequest               -> 201 JoinResponse + cookie; 404 `no-such-class`, 409 `class-full`,
 *                                                   410 `class-ended`, 400 `bad-name`/`name-markup`, 429 `rate-limited`
 *   GET  JOIN_API.me                             -> 200 JoinResponse; 401 `not-joined`; 410 `class-ended`
 *   POST LAB_PROGRESS_PATH ProgressRequest       -> 204 (stored for a learner; accepted and dropped for anyone else)
 *   POST LAB_HELP_PATH HelpRequest               -> 201 HelpCreated; 401 `not-joined`; 429 `rate-limited`
 * A learner cookie on an instructor route is 401 `not-logged-in`; ids of
 * another class are 404 `not-found`.
 */
export const CLASS_API = {
  login: '/instructor/api/login',
  logout: '/instructor/api/logout',
  classes: '/instructor/api/classes',
  learners: '/instructor/api/learners',
  help: '/instructor/api/help',
} as const;
export const JOIN_API = { join: '/join/api/join', me: '/join/api/me' } as const;
export const LAB_PROGRESS_PATH = '/lab/progress';
export const LAB_HELP_PATH = '/lab/help';
/** The instructor console and the join page (C3's pages); the join link is `${JOIN_PAGE}?code=<code>`. */
export const INSTRUCTOR_PAGE = '/instructor/';
export const JOIN_PAGE = '/join/';
export const LEARNER_COOKIE = 'lab_learner';
export const ADMIN_COOKIE = 'lab_admin';
export const CLASS_EVENT_SNAPSHOT = 'snapshot';

export const ClassLimits = {
  /** A learner's display name, after trimming. */
  nameMax: 40,
  /** A class's name, after trimming. */
  classNameMax: 80,
  helpMax: 200,
  messageMax: 500,
  seatsMax: 200,
  /**
   * Seats are terminals at once; a class admits this many learners per seat
   * (the rest wait in the queue for a free seat), so a late learner or a
   * second device is no dead end while a leaked code cannot fill the roster.
   */
  rosterPerSeat: 2,
  /** A class lasts at most this long (and an extension adds at most this much). */
  durationMaxMinutes: 7 * 24 * 60,
  lessonsMax: 100,
  /** Join codes: this many characters of JOIN_CODE_ALPHABET. */
  codeLength: 6,
  /** Largest request body of any class-mode route. */
  bodyBytes: 8 * 1024,
  /** The live feed sends a snapshot at least this often (CPU and memory move without an event). */
  snapshotEveryMs: 2000,
} as const;
/** How many learners a class of `seats` admits (join beyond it: 409 `class-full`). */
export const rosterLimit = (seats: number) => seats * ClassLimits.rosterPerSeat;
/** Join code characters: upper case and digits without the look-alikes 0/O, 1/I/L. */
export const JOIN_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** Control characters (C0, DEL, C1) and the Unicode line/paragraph separators and bidi overrides. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Trimmed text without control characters, up to `max` characters (code points). */
const plainText = (min: number, max: number) =>
  z
    .string()
    .max(max * 4)
    .transform((s) => s.trim())
    .refine((s) => [...s].length >= min && [...s].length <= max, { message: `${min}..${max} characters` })
    .refine((s) => !CONTROL_CHARS.test(s), { message: 'control characters' });

/**
 * A learner's display name: trimmed, 1..nameMax characters, no control
 * characters (`bad-name`), no `<` or `>` (`name-markup`, checked by
 * nameProblem so the two codes stay apart).
 */
export const DisplayName = plainText(1, ClassLimits.nameMax).refine((s) => !/[<>]/.test(s), { message: 'markup' });
/** Which error code a display name earns, or undefined when it is fine. */
export function nameProblem(name: unknown): 'bad-name' | 'name-markup' | undefined {
  if (typeof name === 'string' && /[<>]/.test(name)) return 'name-markup';
  return DisplayName.safeParse(name).success ? undefined : 'bad-name';
}
export const ClassName = plainText(1, ClassLimits.classNameMax).refine((s) => !/[<>]/.test(s), { message: 'markup' });
/** A lesson slug as the site names it (`lessons/container-basics`, `index`). */
export const LessonSlug = z.string().regex(/^[a-z0-9][a-z0-9/_-]{0,99}$/);
/** A snippet id (src/snippets/id.ts: 12 hex digits) or a passed challenge (`challenge:<id>`, progress.ts). */
export const SnippetKey = z.string().regex(/^(?:[0-9a-f]{12}|challenge:[a-z0-9][a-z0-9-]{0,63})$/);
export const JoinCode = z
  .string()
  .max(32)
  .transform((s) => s.replace(/[\s-]/g, '').toUpperCase());
/** Opaque ids as the server makes them (base64url). */
export const ClassroomId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const epochMs = z.number().int().min(0).max(8.64e15);
const minutes = z.number().int().min(1).max(ClassLimits.durationMaxMinutes);

export const AdminLoginRequest = z.object({ token: z.string().min(1).max(256) }).strict();
export type AdminLoginRequest = z.infer<typeof AdminLoginRequest>;

/** A new class: `durationMinutes` or `endsAt` (one of them); `startsAt` defaults to now. */
export const CreateClassRequest = z
  .object({
    name: ClassName,
    seats: z.number().int().min(1).max(ClassLimits.seatsMax),
    startsAt: epochMs.optional(),
    durationMinutes: minutes.optional(),
    endsAt: epochMs.optional(),
    lessons: z.array(LessonSlug).max(ClassLimits.lessonsMax).optional(),
  })
  .strict()
  .refine((c) => (c.durationMinutes === undefined) !== (c.endsAt === undefined), { message: 'give durationMinutes or endsAt, one of them' });
export type CreateClassRequest = z.infer<typeof CreateClassRequest>;

export const ClassView = z.object({
  id: ClassroomId,
  name: z.string(),
  code: z.string(),
  seats: z.number().int(),
  startsAt: z.number().int(),
  endsAt: z.number().int(),
  lessons: z.array(z.string()),
  createdAt: z.number().int(),
  endedAt: z.number().int().nullable(),
  /** Path of the join link (`/join/?code=ABC234`); the page prefixes its own origin. */
  joinPath: z.string(),
});
export type ClassView = z.infer<typeof ClassView>;
export const ClassList = z.object({ classes: z.array(ClassView) });
export type ClassList = z.infer<typeof ClassList>;

/** A learner's live state (classroom/types.ts LearnerLive, from the lab). */
export const LearnerLiveView = z.object({
  connected: z.boolean(),
  state: z.enum(['none', 'queued', 'booting', 'ready']),
  queuePosition: z.number().int().nullable(),
  cpuPercent: z.number().nullable(),
  memoryBytes: z.number().nullable(),
});
export const SnippetResultView = z.enum(['ok', 'expected-fail', 'fail']);
/** Per lesson: how many distinct snippets' latest run was ✓, 예상대로 실패, ✗. */
export const LessonTally = z.object({ ok: z.number().int(), expectedFail: z.number().int(), fail: z.number().int() });
export type LessonTally = z.infer<typeof LessonTally>;
export const LearnerView = z.object({
  id: ClassroomId,
  classId: ClassroomId,
  /** As typed; escape it wherever it is shown. */
  name: z.string(),
  joinedAt: z.number().int(),
  endsAt: z.number().int(),
  lastSeenAt: z.number().int(),
  currentLesson: z.string().nullable(),
  live: LearnerLiveView,
  progress: z.record(z.string(), LessonTally),
});
export type LearnerView = z.infer<typeof LearnerView>;
export const HelpView = z.object({
  id: ClassroomId,
  learnerId: ClassroomId,
  /** The learner's display name (escape it). */
  learnerName: z.string(),
  classId: ClassroomId,
  /** As typed (escape it); may be empty. */
  text: z.string(),
  at: z.number().int(),
  clearedAt: z.number().int().nullable(),
});
export type HelpView = z.infer<typeof HelpView>;
/** GET CLASS_API.classes/:id and every live-feed event: the whole table at once. */
export const ClassSnapshot = z.object({
  class: ClassView,
  learners: z.array(LearnerView),
  /** Open (not cleared) help requests, oldest first. */
  help: z.array(HelpView),
  /** Learners of this class waiting for a seat or sandbox. */
  queue: z.number().int().min(0),
  /** Server time of the snapshot (the page computes "n분 전" from it). */
  at: z.number().int(),
});
export type ClassSnapshot = z.infer<typeof ClassSnapshot>;

export const ClassMessageRequest = z.object({ text: plainText(1, ClassLimits.messageMax) }).strict();
export type ClassMessageRequest = z.infer<typeof ClassMessageRequest>;
export const ExtendRequest = z.object({ minutes }).strict();
export type ExtendRequest = z.infer<typeof ExtendRequest>;
export const LearnerEndsAt = z.object({ id: ClassroomId, endsAt: z.number().int() });
export type LearnerEndsAt = z.infer<typeof LearnerEndsAt>;

/** `name` is checked by nameProblem (so a long name is `bad-name`, not `bad-message`); the body limit bounds it. */
export const JoinRequest = z.object({ code: JoinCode, name: z.string() }).strict();
export type JoinRequest = z.infer<typeof JoinRequest>;
export const JoinResponse = z.object({
  learner: z.object({ id: ClassroomId, name: z.string(), endsAt: z.number().int() }),
  class: z.object({ id: ClassroomId, name: z.string(), endsAt: z.number().int(), lessons: z.array(z.string()) }),
});
export type JoinResponse = z.infer<typeof JoinResponse>;

export const ProgressRequest = z.object({ lesson: LessonSlug, snippet: SnippetKey, result: SnippetResultView }).strict();
export type ProgressRequest = z.infer<typeof ProgressRequest>;
export const HelpRequest = z.object({ text: plainText(0, ClassLimits.helpMax) }).strict();
export type HelpRequest = z.infer<typeof HelpRequest>;
export const HelpCreated = z.object({ id: ClassroomId, at: z.number().int() });
export type HelpCreated = z.infer<typeof HelpCreated>;

// ---------------------------------------------------------------------------
// Parsing helpers used by both sides
// ---------------------------------------------------------------------------

export type ParseResult<T> = { ok: true; message: T } | { ok: false; reason: 'unknown-type' | 'invalid'; detail: string };

function parseWith<T>(schema: z.ZodType<T>, known: ReadonlySet<string>, text: string): ParseResult<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid', detail: 'not JSON' };
  }
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') return { ok: false, reason: 'invalid', detail: 'missing type' };
  if (!known.has(type)) return { ok: false, reason: 'unknown-type', detail: type.slice(0, 40) };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'invalid', detail: parsed.error.issues[0]?.message ?? 'invalid' };
  return { ok: true, message: parsed.data };
}

/** The `type`s a union knows, from its schemas (a type added to the union is known at once). */
const typesOf = (union: { options: ReadonlyArray<{ shape: { type: { value: string } } }> }) => new Set(union.options.map((o) => o.shape.type.value));
const clientTypes = typesOf(ClientMessage);
const serverTypes = typesOf(ServerMessage);

export const parseClientMessage = (text: string) => parseWith(ClientMessage, clientTypes, text);
export const parseServerMessage = (text: string) => parseWith(ServerMessage, serverTypes, text);

export function clampSize(c: number, r: number): { cols: number; rows: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.floor(v)));
  return { cols: clamp(c, Limits.minCols, Limits.maxCols), rows: clamp(r, Limits.minRows, Limits.maxRows) };
}

export const encode = (message: ClientMessage | ServerMessage): string => JSON.stringify(message);
