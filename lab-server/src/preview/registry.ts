/**
 * Who may see which preview: capabilities, one-time tickets and owner
 * tokens, in memory (they end with the session, and with the server).
 *
 * - capability: 32 random bytes (base64url) per (session, port), minted by
 *   POST /lab/preview only for the session's owner (lab cookie + Origin
 *   checked there). It is the preview's address (addressing.ts); alone it
 *   shows nothing: every request also needs the owner cookie.
 * - ticket: 32 random bytes, one use, TICKET_TTL_MS. The URL POST returns
 *   is `/__lab/open?ticket=…`: it sets the owner cookie on the preview origin
 *   and 303s to `/<capability>/`, so the capability itself never has to be
 *   typed or shared, and a ticket seen later (history, a screenshot) is dead.
 * - owner token: 32 random bytes per session, the value of the preview
 *   origin's `lab_preview_owner` cookie (HttpOnly, SameSite=Lax). Every
 *   request for `/<capability>/…` needs it (proxy.ts), bound to the
 *   capability's session; a cookie bound to another session is refused
 *   everywhere.
 *
 * Every lookup checks `ended`: a session that ended answers nothing, at
 * once, before the periodic sweep (forget) frees its entries.
 */
import { randomBytes } from 'node:crypto';

/** A ticket not redeemed by then is dead: the page loads the URL right after POST. */
export const TICKET_TTL_MS = 60_000;

export const newSecret = () => randomBytes(32).toString('base64url');

/** What a capability is bound to: the session object (its `ended` flag is read live) and the port. */
export interface Grant<S> {
  session: S;
  port: number;
  capability: string;
}

export class PreviewRegistry<S extends { readonly id: string; readonly ended: boolean }> {
  private readonly byCapability = new Map<string, Grant<S>>();
  private readonly bySessionPort = new Map<string, Grant<S>>();
  private readonly tickets = new Map<string, { grant: Grant<S>; expires: number }>();
  private readonly owners = new Map<string, S>();
  private readonly ownerOf = new Map<string, string>();
  private readonly now: () => number;
  private readonly secret: () => string;

  constructor(opts: { now?: () => number; secret?: () => string } = {}) {
    this.now = opts.now ?? Date.now;
    this.secret = opts.secret ?? newSecret;
  }

  /** The (session, port)'s capability (made once) and a fresh one-time ticket for it. */
  open(session: S, port: number): { capability: string; ticket: string } {
    const key = `${session.id} ${port}`;
    let grant = this.bySessionPort.get(key);
    if (!grant) {
      grant = { session, port, capability: this.secret() };
      this.bySessionPort.set(key, grant);
      this.byCapability.set(grant.capability, grant);
    }
    const ticket = this.secret();
    this.tickets.set(ticket, { grant, expires: this.now() + TICKET_TTL_MS });
    return { capability: grant.capability, ticket };
  }

  /** Uses a ticket up: its grant and the session's owner token, or undefined (unknown, used, expired, session over). */
  redeem(ticket: string): { grant: Grant<S>; ownerToken: string } | undefined {
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!entry || entry.expires < this.now() || entry.grant.session.ended) return undefined;
    const session = entry.grant.session;
    let token = this.ownerOf.get(session.id);
    if (!token) {
      token = this.secret();
      this.ownerOf.set(session.id, token);
      this.owners.set(token, session);
    }
    return { grant: entry.grant, ownerToken: token };
  }

  /** The live grant a capability names. */
  resolve(capability: string): Grant<S> | undefined {
    const grant = this.byCapability.get(capability);
    return grant && !grant.session.ended ? grant : undefined;
  }

  /** The live session an owner token belongs to. */
  owner(token: string | undefined): S | undefined {
    const session = token ? this.owners.get(token) : undefined;
    return session && !session.ended ? session : undefined;
  }

  /** Frees everything of sessions that ended and tickets that expired; returns the ids of the sessions forgotten. */
  sweep(): Set<string> {
    const gone = new Set<string>();
    for (const [key, grant] of this.bySessionPort) {
      if (!grant.session.ended) continue;
      gone.add(grant.session.id);
      this.bySessionPort.delete(key);
      this.byCapability.delete(grant.capability);
    }
    for (const [token, session] of this.owners) {
      if (!session.ended) continue;
      gone.add(session.id);
      this.owners.delete(token);
      this.ownerOf.delete(session.id);
    }
    const now = this.now();
    for (const [ticket, entry] of this.tickets) if (entry.expires < now || entry.grant.session.ended) this.tickets.delete(ticket);
    return gone;
  }

  get size(): { capabilities: number; tickets: number; owners: number } {
    return { capabilities: this.byCapability.size, tickets: this.tickets.size, owners: this.owners.size };
  }
}
