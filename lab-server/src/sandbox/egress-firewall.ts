/**
 * LAB_EGRESS=on gives each sandbox its own bridge network with internet
 * access. Docker already isolates bridges from each other (its ISOLATION
 * chains) and we disable inter-container traffic on the bridge; what Docker
 * does not do is keep containers away from the host itself (the lab server,
 * the mirror, anything listening on the host) or from the cloud metadata
 * service at 169.254.169.254. Those need host firewall rules, which only a
 * server running as root on the engine's host can add: then we add them per
 * bridge, else we log once that the sandbox can reach them.
 *
 * Rules (iptables, tagged with a comment so they are found after a crash):
 *   INPUT       -i <bridge> -j DROP                       (the host)
 *   DOCKER-USER -i <bridge> -d 169.254.0.0/16 -j DROP      (metadata, link-local)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);

export interface EgressFirewall {
  readonly available: boolean;
  protect(bridge: string): Promise<void>;
  release(bridge: string): Promise<void>;
  /** Removes rules of bridges not in `keep` (after a crash). */
  prune(keep: ReadonlySet<string>): Promise<void>;
}

const TAG = 'lab-egress';

export async function createEgressFirewall(instance: string, log: Logger): Promise<EgressFirewall> {
  const comment = `${TAG}:${instance}`;
  const dockerHost = process.env.DOCKER_HOST ?? '';
  const local = dockerHost === '' || dockerHost.startsWith('unix://');
  let available = false;
  if (local && process.getuid?.() === 0) {
    try {
      await run('iptables', ['-w', '-S', 'DOCKER-USER']);
      available = true;
    } catch (err) {
      log.warn({ err: String(err) }, 'iptables unusable: egress sandboxes can reach the host and 169.254.169.254');
    }
  } else {
    log.warn('not root on the Docker host: egress sandboxes can reach the host and 169.254.169.254');
  }

  const rules = (bridge: string): Array<[string, string[]]> => [
    ['INPUT', ['-i', bridge, '-m', 'comment', '--comment', comment, '-j', 'DROP']],
    ['DOCKER-USER', ['-i', bridge, '-d', '169.254.0.0/16', '-m', 'comment', '--comment', comment, '-j', 'DROP']],
  ];

  async function remove(chain: string, spec: string[]) {
    // -D fails when the rule is absent; loop in case it was added twice.
    for (let i = 0; i < 5; i++) {
      try {
        await run('iptables', ['-w', '-D', chain, ...spec]);
      } catch {
        return;
      }
    }
  }

  return {
    available,
    async protect(bridge) {
      if (!available) return;
      for (const [chain, spec] of rules(bridge)) await run('iptables', ['-w', '-I', chain, '1', ...spec]);
    },
    async release(bridge) {
      if (!available) return;
      for (const [chain, spec] of rules(bridge)) await remove(chain, spec);
    },
    async prune(keep) {
      if (!available) return;
      for (const chain of ['INPUT', 'DOCKER-USER']) {
        const { stdout } = await run('iptables', ['-w', '-S', chain]);
        for (const line of stdout.split('\n')) {
          if (!line.includes(`"${comment}"`) && !line.includes(` ${comment} `)) continue;
          const bridge = /-i (\S+)/.exec(line)?.[1];
          if (!bridge || keep.has(bridge)) continue;
          const spec = line
            .replace(/^-A \S+ /, '')
            .split(' ')
            .map((t) => t.replace(/^"(.*)"$/, '$1'));
          await remove(chain, spec);
        }
      }
    },
  };
}
