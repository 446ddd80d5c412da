import { createHash } from 'node:crypto';

/**
 * A snippet's identity: the first 12 hex digits of sha256 over its code,
 * exactly as written between the fences (no trailing newline). The page
 * (data-lab-snippet), the runner, progress in localStorage and the recordings
 * all key on it, so editing a snippet's code gives it a new id on purpose:
 * old recordings and progress no longer apply to the changed command.
 */
export function snippetId(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex').slice(0, 12);
}
