/**
 * The dock's status line for each connection state: Korean text, a tone for
 * the coloured dot, and the action the reader should take (highlighted).
 */
import type { ConnectionState } from './connection.ts';
import { ko } from './messages.ko.ts';

export type Tone = 'busy' | 'ok' | 'error' | 'neutral';
export type DockAction = 'retry' | 'new-sandbox';

export interface DockStatus {
  tone: Tone;
  text: string;
  /** 0..1 while the sandbox boots. */
  progress?: number;
  /** Highlights the action the reader should take. */
  action?: DockAction;
}

/** Korean status line (and suggested action) for a connection state. */
export function statusFor(state: ConnectionState, now = Date.now()): DockStatus {
  switch (state.kind) {
    case 'idle':
      return { tone: 'neutral', text: '' };
    case 'connecting':
      return { tone: 'busy', text: state.step === 'session' ? ko.status.requestingSession : ko.status.connecting };
    case 'booting':
      return { tone: 'busy', text: ko.phase[state.phase], progress: state.progress };
    case 'queued':
      return { tone: 'busy', text: ko.classroom.queued(state.position, state.etaSeconds) };
    case 'connected':
      return { tone: 'ok', text: ko.status.connected };
    case 'offline':
      return { tone: 'error', text: ko.status.offline, action: 'retry' };
    case 'exited':
      return { tone: 'neutral', text: ko.status.shellExited(state.code), action: 'retry' };
    case 'retrying': {
      const seconds = Math.max(1, Math.ceil((state.retryAt - now) / 1000));
      switch (state.reason) {
        case 'unreachable':
          return { tone: 'error', text: `${ko.error.unreachable} ${ko.status.retryIn(seconds)}`, action: 'retry' };
        case 'network':
          return { tone: 'busy', text: ko.status.reconnecting(seconds), action: 'retry' };
        case 'over-capacity':
          return { tone: 'error', text: `${ko.error.overCapacity} ${ko.status.retryIn(seconds)}`, action: 'retry' };
        case 'rate-limited':
          return { tone: 'error', text: `${ko.error.rateLimited} ${ko.status.retryIn(seconds)}`, action: 'retry' };
        case 'shutting-down':
          return { tone: 'busy', text: `${ko.error.shuttingDown} ${ko.status.retryIn(seconds)}` };
        case 'internal':
          return { tone: 'error', text: `${ko.error.internal} ${ko.status.retryIn(seconds)}`, action: 'retry' };
      }
    }
    // falls through only if a reason is added without text (type error above)
    case 'stopped':
      switch (state.reason) {
        case 'sandbox-failed':
          return { tone: 'error', text: ko.error.sandboxFailed, action: 'new-sandbox' };
        case 'session-expired':
          return { tone: 'error', text: ko.error.sessionExpired, action: 'new-sandbox' };
        case 'forbidden-origin':
          return { tone: 'error', text: ko.error.forbiddenOrigin };
        case 'replaced':
          return { tone: 'neutral', text: ko.error.replaced, action: 'retry' };
        case 'idle':
          return { tone: 'neutral', text: ko.error.idle, action: 'retry' };
        case 'cookies-blocked':
          return { tone: 'error', text: ko.error.cookiesBlocked, action: 'retry' };
        case 'protocol':
          return { tone: 'error', text: ko.error.protocol, action: 'retry' };
        case 'ended-by-instructor':
          return { tone: 'neutral', text: ko.error.endedByInstructor, action: 'new-sandbox' };
        case 'class-only':
          return { tone: 'error', text: ko.classroom.classOnly };
        case 'class-ended':
          return { tone: 'neutral', text: ko.classroom.errors['class-ended']! };
      }
  }
}
