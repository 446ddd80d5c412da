import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { ExecSocket, parsePortList } from './port-exec.ts';

test('the port list keeps one entry per host port, sorted, with what listens', () => {
  const out = '[{"name":"web","ports":[[8080,80]]},{"name":"api","ports":[[8082,8080],[8081,8080]]},{"name":"db","ports":[]}]\n8080 8082 \n';
  assert.deepEqual(parsePortList(out), [
    { port: 8080, containerName: 'web', containerPort: 80, listening: true },
    { port: 8081, containerName: 'api', containerPort: 8080, listening: false },
    { port: 8082, containerName: 'api', containerPort: 8080, listening: true },
  ]);
});

test('a list that is not what lab-port prints is refused', () => {
  for (const out of [
    '',
    'not json\n',
    '[{"name":"x","ports":[[0,80]]}]\n',
    '[{"name":"x","ports":[["8080",80]]}]\n',
    `[${'{"name":"x","ports":[]},'.repeat(300)}{"name":"x","ports":[]}]\n`,
  ]) {
    assert.throws(() => parsePortList(out), out.slice(0, 40));
  }
});

/** The engine's side of a hijacked exec: what the socket writes, and frames to feed it. */
function fakeEngine() {
  const written: Buffer[] = [];
  const raw = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  const frame = (kind: number, text: string) => {
    const payload = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = kind;
    head.writeUInt32BE(payload.length, 4);
    return Buffer.concat([head, payload]);
  };
  return { raw, written, frame };
}

test('stdout frames come out as bytes, split anywhere; stderr is kept aside; writes go through', async () => {
  const { raw, written, frame } = fakeEngine();
  const socket = new ExecSocket(raw as unknown as Socket);
  const all = Buffer.concat([frame(1, 'HTTP/1.1 200 OK\r\n'), frame(2, 'socat: E connect(): Connection refused'), frame(1, '\r\nbody')]);
  // Byte by byte: headers split across chunks.
  for (const byte of all) raw.push(Buffer.from([byte]));
  raw.push(null);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'HTTP/1.1 200 OK\r\n\r\nbody');
  assert.match(socket.stderr, /Connection refused/);
  socket.write('GET / HTTP/1.1\r\n\r\n');
  assert.equal(Buffer.concat(written).toString(), 'GET / HTTP/1.1\r\n\r\n');
});
