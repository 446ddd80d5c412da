/**
 * The printing readers of bench/load.ts in a process of their own.
 *
 * A real reader's browser is neither on the lab host nor in the same event
 * loop as 50 other readers. When the bench process read the 50 printing
 * terminals itself, the probe's echo could wait in the bench's own event
 * loop behind their messages (and behind its GC of their output), which is
 * the client's cost, not the lab's. Here they are read by a child process
 * (forked by load.ts), so the probe's loop holds the probe alone.
 *
 * IPC: the parent sends { endpoint, terminals: [{ cookie, name }] }; this
 * process attaches to each (the parent's socket on that terminal is closed
 * with Replaced), reads everything it gets and answers { ready }. On
 * { stop } it sends Ctrl-C to each terminal until its prompt is back, closes
 * the sockets and answers { stopped, bytes (output received), running
 * (loops still printing) }, then exits.
 */
import { LabTerminal, type LabEndpoint } from '../tests/support/terminal.ts';

export interface PrintersStart {
  endpoint: LabEndpoint;
  terminals: { cookie: string; name: string }[];
}
export type PrintersReply = { ready: number } | { stopped: true; bytes: number; running: number } | { error: string };

const send = (m: PrintersReply) => process.send!(m);
let terms: LabTerminal[] = [];

// The bench ended (or was interrupted): its server removes the sandboxes; nothing to keep here.
process.on('disconnect', () => process.exit(0));
process.on('message', (m: PrintersStart | { stop: true }) => {
  if ('stop' in m) {
    void stop().catch((err) => send({ error: String(err) }));
    return;
  }
  void start(m).catch((err) => send({ error: String(err) }));
});

async function start({ endpoint, terminals }: PrintersStart) {
  terms = await Promise.all(
    terminals.map(async ({ cookie, name }) => {
      const term = await LabTerminal.open(endpoint, cookie);
      // From the newest byte on: nothing is replayed, the shell goes on printing.
      term.hello(Number.MAX_SAFE_INTEGER, name);
      await term.ready(30_000);
      return term;
    }),
  );
  send({ ready: terms.length });
}

/** Ctrl-C to every loop not yet back at a prompt, again every 2 s (a key can land between two commands), at most 5 times. */
async function stop() {
  const from = terms.map((t) => t.text.length);
  const atPrompt = (i: number) => terms[i]!.text.includes('\x1b]133;B', from[i]);
  for (let round = 0; round < 5; round++) {
    const left = terms.filter((_, i) => !atPrompt(i));
    if (left.length === 0) break;
    for (const term of left) term.type('\x03');
    await Promise.all(left.map((t) => t.waitFor(() => atPrompt(terms.indexOf(t)), 2000, 'prompt').catch(() => undefined)));
  }
  const running = terms.filter((_, i) => !atPrompt(i)).length;
  const bytes = terms.reduce((n, t) => n + t.bytes.length, 0);
  await Promise.all(terms.map((t) => t.close()));
  send({ stopped: true, bytes, running });
  process.disconnect();
}
