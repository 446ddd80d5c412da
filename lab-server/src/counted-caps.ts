/**
 * Counts live things (TCP connections, WebSockets) globally and per key
 * (a client, a session) and says whether one more may come. Pure
 * bookkeeping: the caller destroys what is refused and releases what closes.
 *
 * Why: without caps one client opened 21,000 slow-reading connections at
 * ~550/s and within 25 s held all 20,000 descriptors of the process; /healthz
 * went unanswered for 80 s and Docker calls failed with EMFILE. 2,000
 * WebSockets on one cookie were all accepted and held.
 */
export type CapVerdict = { ok: true } | { ok: false; reason: 'global-cap' | 'key-cap' };

export class CountedCaps {
  private readonly byKey = new Map<string, number>();
  private total = 0;
  readonly maxTotal: number;
  readonly maxPerKey: number;

  constructor(maxTotal: number, maxPerKey: number) {
    this.maxTotal = maxTotal;
    this.maxPerKey = maxPerKey;
  }

  get size(): number {
    return this.total;
  }

  count(key: string): number {
    return this.byKey.get(key) ?? 0;
  }

  /** Takes a place (`maxPerKey` overrides the cap for this key, e.g. a trusted proxy) for `key`, or says which cap is reached. A taken place must be released once. */
  take(key: string, maxPerKey = this.maxPerKey): CapVerdict {
    if (this.total >= this.maxTotal) return { ok: false, reason: 'global-cap' };
    const n = this.count(key);
    if (n >= maxPerKey) return { ok: false, reason: 'key-cap' };
    this.byKey.set(key, n + 1);
    this.total++;
    return { ok: true };
  }

  release(key: string): void {
    const n = this.count(key);
    if (n <= 0) return;
    if (n === 1) this.byKey.delete(key);
    else this.byKey.set(key, n - 1);
    this.total--;
  }
}
