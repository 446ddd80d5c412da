/**
 * The terminal client against a stand-in server speaking the lab protocol
 * (a `ws` server on a random port): what callers rely on without Docker.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { LAB_SUBPROTOCOL, encode, type ServerMessage } from '../../lab-server/src/protocol.ts';
import { LabTerminal, endpoint } from './terminal.ts';

const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (p) => (p.has(LAB_SUBPROTOCOL) ? LAB_SUBPROTOCOL : false) });
await new Promise((r) => server.once('listening', r));
const lab = endpoint(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
after(() => server.close());

/** Connects a client and returns it with the server side of its socket and the hellos it sent. */
async function connect(): Promise<{ term: LabTerminal; peer: WebSocket; hellos: unknown[] }> {
  const peerP = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const term = await LabTerminal.open(lab, 'lab_session=x');
  const peer = await peerP;
  const hellos: unknown[] = [];
  peer.on('message', (data, binary) => !binary && hellos.push(JSON.parse(String(data))));
  return { term, peer, hellos };
}
const control = (peer: WebSocket, m: ServerMessage) => peer.send(encode(m));
const output = (peer: WebSocket, bytes: Buffer | string) => peer.send(Buffer.from(bytes), { binary: true });
const attached = (from: number): ServerMessage => ({ type: 'attached', sessionExpiresAt: 0, from, lost: 0, freshShell: true });

test('text decodes a character split across frames once, whole; bytes stay byte-exact', async () => {
  const { term, peer } = await connect();
  control(peer, attached(0));
  const han = Buffer.from('한', 'utf8');
  output(peer, Buffer.concat([Buffer.from('a'), han.subarray(0, 1)]));
  output(peer, Buffer.concat([han.subarray(1), Buffer.from('b')]));
  await term.waitFor(() => term.text.endsWith('b'), 2000, 'b');
  assert.equal(term.text, 'a한b');
  assert.equal(term.bytes.length, 5);
  await term.close();
});

test('a wait ends at once when the shell exits, instead of running into its timeout', async () => {
  const { term, peer } = await connect();
  control(peer, attached(0));
  const began = Date.now();
  const wait = term.waitFor(() => term.text.includes('never'), 30_000, 'output that never comes');
  control(peer, { type: 'exit', code: 126 });
  await assert.rejects(wait, /^Error: shell exited while waiting for output that never comes\n/);
  assert.ok(Date.now() - began < 5000);
  assert.equal(term.exited, true);
  await term.close();
});

test('a second hello after the exit resumes at the byte offset seen so far and clears exited', async () => {
  const { term, peer, hellos } = await connect();
  term.hello();
  control(peer, attached(100));
  output(peer, 'hello');
  await term.waitFor(() => term.text === 'hello', 2000, 'hello');
  control(peer, { type: 'exit', code: 0 });
  await term.waitFor(() => term.exited, 2000, 'the exit message');
  term.hello(term.offset);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(term.exited, false);
  assert.deepEqual(
    hellos.map((h) => (h as { resumeFrom: number }).resumeFrom),
    [0, 105],
  );
  await term.close();
});

test('a wait on a socket that is already closed fails at once with the close code', async () => {
  const { term, peer } = await connect();
  peer.close(4014, 'shutting down');
  assert.equal(await term.closed, 4014);
  await assert.rejects(
    term.waitFor(() => false, 30_000, 'anything'),
    /^Error: socket closed \(4014\) while waiting for anything/,
  );
});
