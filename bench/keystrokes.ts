/**
 * What the keystroke benchmarks share (bench:load, bench:disk-check): the
 * round trip of one typed byte to its echo on an echo path, and the CPU a
 * sandbox's cgroup has used.
 *
 * A round trip is timed from the write to the next output message on the
 * same path (the socket's own message event), then 10 ms pass so that a late
 * second chunk of the echo (Ctrl-U's erase) arrives before the next byte.
 * Every 40th byte is Ctrl-U, so the line never grows.
 */
import { readFileSync } from 'node:fs';
import { sleep } from '../tests/support/lab-server.ts';
import type { LabTerminal } from '../tests/support/terminal.ts';

/** One echo path: where a keystroke goes in, and a subscription to whatever comes back. */
export interface EchoPath {
  type(bytes: string): void;
  /** Calls `fn` for every output message; returns the unsubscribe. */
  onOutput(fn: () => void): () => void;
}

/** The lab's path: a terminal's WebSocket, output being its binary messages. */
export const labPath = (term: LabTerminal): EchoPath => ({
  type: (bytes) => term.type(bytes),
  onOutput: (fn) => {
    const listener = (_data: unknown, isBinary: boolean) => isBinary && fn();
    term.ws.on('message', listener);
    return () => term.ws.off('message', listener);
  },
});

/**
 * `n` round trips (ms) on each path, taken in turn (path 1, 2, 3, 1, 2, …)
 * so that every path sees the same load on a shared host, after `warmup`
 * untimed ones on each (default 20: the first keystrokes warm up the path).
 */
export async function keystrokes(paths: EchoPath[], n: number, warmup = 20): Promise<number[][]> {
  const out = paths.map(() => [] as number[]);
  for (let i = 0; i < n + warmup; i++) {
    for (const [k, path] of paths.entries()) {
      let off = () => undefined as void;
      const echoed = new Promise<number>((r) => (off = path.onOutput(() => r(performance.now()))));
      const t0 = performance.now();
      path.type(i % 40 === 39 ? '\x15' : 'a');
      const t1 = await Promise.race([echoed, sleep(5000).then(() => NaN)]);
      off();
      if (Number.isNaN(t1)) throw new Error('no echo in 5 s');
      if (i >= warmup) out[k]!.push(t1 - t0);
      await sleep(10);
    }
  }
  for (const path of paths) path.type('\x15');
  return out;
}

/** CPU seconds a container's cgroup has used (cgroup v1 cpuacct, or v2 cpu.stat); NaN when neither is readable here. */
export function containerCpuSeconds(containerId: string): number {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
  const v1 = read(`/sys/fs/cgroup/cpuacct/docker/${containerId}/cpuacct.usage`);
  if (v1 !== undefined) return Number(v1) / 1e9;
  const v2 = read(`/sys/fs/cgroup/system.slice/docker-${containerId}.scope/cpu.stat`) ?? read(`/sys/fs/cgroup/docker/${containerId}/cpu.stat`);
  return v2 === undefined ? NaN : Number(/usage_usec (\d+)/.exec(v2)?.[1]) / 1e6;
}
