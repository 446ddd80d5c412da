/**
 * The dock's open/collapsed/closed state and height, kept in sessionStorage
 * so the next page of the same tab reopens the terminal (and reconnects)
 * where the reader left it. This module has no dependencies, so the small
 * page script can import it statically and load the terminal only when
 * `shouldRestoreDock()` says so:
 *
 *   import { shouldRestoreDock } from '../lab-client/dock-state.ts';
 *   if (shouldRestoreDock()) import('../lab-client/index.ts').then((m) => m.restoreDock());
 */
export type DockMode = 'open' | 'collapsed' | 'closed';
export interface DockState {
  mode: DockMode;
  /** Height of the open dock in CSS px. */
  height: number;
}

export const DOCK_STATE_KEY = 'lab-dock';
export const DEFAULT_DOCK_HEIGHT = 320;
export const MIN_DOCK_HEIGHT = 140;

export function parseDockState(raw: string | null): DockState {
  const fallback: DockState = { mode: 'closed', height: DEFAULT_DOCK_HEIGHT };
  if (!raw) return fallback;
  try {
    const v = JSON.parse(raw) as Partial<DockState>;
    const mode = v.mode === 'open' || v.mode === 'collapsed' || v.mode === 'closed' ? v.mode : 'closed';
    const height = typeof v.height === 'number' && Number.isFinite(v.height) ? Math.max(MIN_DOCK_HEIGHT, Math.round(v.height)) : DEFAULT_DOCK_HEIGHT;
    return { mode, height };
  } catch {
    return fallback;
  }
}

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // sandboxed iframe or storage disabled
  }
}

export function loadDockState(): DockState {
  return parseDockState(storage()?.getItem(DOCK_STATE_KEY) ?? null);
}

export function saveDockState(state: DockState): void {
  try {
    storage()?.setItem(DOCK_STATE_KEY, JSON.stringify(state));
  } catch {
    // quota or disabled storage: the dock simply will not reopen by itself
  }
}

/** True when the previous page of this tab had the terminal open (or collapsed). */
export function shouldRestoreDock(): boolean {
  return loadDockState().mode !== 'closed';
}
