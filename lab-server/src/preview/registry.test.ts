import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PreviewRegistry, TICKET_TTL_MS, newSecret } from './registry.ts';

const session = (id: string) => ({ id, ended: false });

test('secrets are 43 base64url characters and differ', () => {
  const a = newSecret();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, newSecret());
});

test('one capability per session and port, a new one-time ticket per open', () => {
  const reg = new PreviewRegistry<ReturnType<typeof session>>();
  const s = session('s1');
  const a = reg.open(s, 8080);
  const b = reg.open(s, 8080);
  assert.equal(a.capability, b.capability);
  assert.notEqual(a.ticket, b.ticket);
  assert.notEqual(reg.open(s, 8081).capability, a.capability);
  assert.notEqual(reg.open(session('s2'), 8080).capability, a.capability);
  const redeemed = reg.redeem(a.ticket);
  assert.equal(redeemed?.grant.port, 8080);
  assert.equal(reg.redeem(a.ticket), undefined, 'a ticket works once');
  assert.equal(reg.owner(redeemed!.ownerToken), s);
  assert.equal(reg.redeem(b.ticket)?.ownerToken, redeemed!.ownerToken, 'one owner token per session');
  assert.equal(reg.resolve(a.capability)?.session, s);
  assert.equal(reg.resolve('x'.repeat(43)), undefined);
});

test('tickets expire', () => {
  let now = 0;
  const reg = new PreviewRegistry<ReturnType<typeof session>>({ now: () => now });
  const { ticket } = reg.open(session('s'), 80);
  now = TICKET_TTL_MS + 1;
  assert.equal(reg.redeem(ticket), undefined);
});

test('everything ends with the session, at once, and the sweep frees it', () => {
  const reg = new PreviewRegistry<{ id: string; ended: boolean }>();
  const s = session('s');
  const { capability, ticket } = reg.open(s, 8080);
  const token = reg.redeem(reg.open(s, 8080).ticket)!.ownerToken;
  s.ended = true;
  assert.equal(reg.resolve(capability), undefined);
  assert.equal(reg.owner(token), undefined);
  assert.equal(reg.redeem(ticket), undefined);
  assert.deepEqual([...reg.sweep()], ['s']);
  assert.deepEqual(reg.size, { capabilities: 0, tickets: 0, owners: 0 });
});
