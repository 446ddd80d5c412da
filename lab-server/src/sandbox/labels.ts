/**
 * Names and labels of every Docker object the lab server makes. The labels
 * are how the server finds what it owns after a crash (sessions live only in
 * memory): lab.owner scopes one server instance, lab.sandbox groups a
 * sandbox's container, volume and network, and lab.session carries the
 * session's hash prefix (never the token) so an operator can tell who is who.
 */
import { randomBytes } from 'node:crypto';

export const LABEL_OWNER = 'lab.owner';
export const LABEL_KIND = 'lab.kind';
export const LABEL_SANDBOX = 'lab.sandbox';
export const LABEL_SESSION = 'lab.session';

export type ObjectKind = 'sandbox' | 'volume' | 'network' | 'mirror';

/** Session label of warm-pool sandboxes (labels are immutable; the lab logs which session takes one). */
export const POOL_SESSION = 'warm-pool';

export const newSandboxId = (): string => randomBytes(6).toString('hex');

export class Naming {
  readonly instance: string;
  constructor(instance: string) {
    this.instance = instance;
  }

  container(sandboxId: string): string {
    return `lab-${this.instance}-sbx-${sandboxId}`;
  }
  dataVolume(sandboxId: string): string {
    return `lab-${this.instance}-sbx-${sandboxId}-docker`;
  }
  network(sandboxId: string): string {
    return `lab-${this.instance}-sbx-${sandboxId}`;
  }
  /** Linux interface names are at most 15 bytes; the sandbox id is 12 hex. */
  bridge(sandboxId: string): string {
    return `lb${sandboxId}`;
  }

  labels(kind: ObjectKind, sandboxId?: string, session?: string): Record<string, string> {
    const labels: Record<string, string> = { [LABEL_OWNER]: this.instance, [LABEL_KIND]: kind };
    if (sandboxId) labels[LABEL_SANDBOX] = sandboxId;
    if (session) labels[LABEL_SESSION] = session;
    return labels;
  }

  /** Docker API filter for everything this instance owns. */
  ownerFilter(): string {
    return JSON.stringify({ label: [`${LABEL_OWNER}=${this.instance}`] });
  }
}
