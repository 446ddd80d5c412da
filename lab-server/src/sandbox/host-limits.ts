/**
 * The host's per-user inotify limits, raised (never lowered) when the lab
 * server runs as root next to a local engine.
 *
 * Why: the kernel counts inotify instances and watches per user, and host
 * root is the user of the lab server, the host's dockerd and containerd and
 * every sandbox's container init. Measured before issue 8's fix: sandboxes
 * were charged to host root too, and one sandbox holding 128 instances
 * (fs.inotify.max_user_instances, Debian's default) broke `tail -f` for
 * root and Node's fs.watch in the lab server. Sandboxes now have their own
 * owner uid and their own lower bounds (SANDBOX_USERNS_LIMITS in
 * spec.ts), so this is headroom for the host's own root processes,
 * not a sandbox budget: each sandbox stays at its own bound whatever the
 * host's value is.
 *
 * Operators who manage sysctls themselves set higher values in
 * /etc/sysctl.d/; this only raises what is below HOST_INOTIFY_MINIMUMS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';

export const HOST_INOTIFY_MINIMUMS: Readonly<Record<string, number>> = {
  '/proc/sys/fs/inotify/max_user_instances': 1024,
  '/proc/sys/fs/inotify/max_user_watches': 524288,
};

/** Root on the engine's own host: the sysctls written here are the engine's. */
function rootNextToEngine(): boolean {
  const dockerHost = process.env.DOCKER_HOST ?? '';
  return process.getuid?.() === 0 && (dockerHost === '' || dockerHost.startsWith('unix://'));
}

/** Raises each limit below its minimum; returns what changed. Never throws. */
export function raiseHostInotifyLimits(
  log: Logger,
  minimums = HOST_INOTIFY_MINIMUMS,
  allowed = rootNextToEngine(),
): Record<string, [number, number]> {
  const changed: Record<string, [number, number]> = {};
  if (!allowed) return changed;
  for (const [file, minimum] of Object.entries(minimums)) {
    try {
      const current = Number(readFileSync(file, 'utf8').trim());
      if (!Number.isFinite(current) || current >= minimum) continue;
      writeFileSync(file, `${minimum}\n`);
      changed[file] = [current, minimum];
    } catch (err) {
      log.warn({ file, err: String(err) }, 'could not raise a host inotify limit');
    }
  }
  if (Object.keys(changed).length) log.info({ changed }, 'raised host inotify limits');
  return changed;
}
