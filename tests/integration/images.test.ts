/**
 * The sandbox image and the offline lesson images, on the real engine: a
 * sandbox started with the flags from sandbox/spec.ts pulls every image from
 * the test mirror and the images behave as the lessons describe.
 * Needs `npm run images` first (images + the lab-mirror-data volume).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pty from 'node-pty';
import { loadConfig } from '../../lab-server/src/config.ts';
import { OSC133, SANDBOX_SHELL } from '../../lab-server/src/sandbox/spec.ts';
import { cleanup, docker, startMirror, startSandbox, type Sandbox } from './helpers-sandbox.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `script` in the sandbox until it exits 0 or the deadline passes. */
async function until(sb: Sandbox, script: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await sb.sh(script, 30_000);
    last = r.stdout + r.stderr;
    if (r.code === 0) return r.stdout;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${script}\n${last}`);
    await sleep(500);
  }
}

async function ok(sb: Sandbox, script: string, timeoutMs = 120_000): Promise<string> {
  const r = await sb.sh(script, timeoutMs);
  assert.equal(r.code, 0, `${script}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

describe('sandbox + lesson images (real Docker)', { timeout: 15 * 60_000 }, () => {
  let sb: Sandbox;

  before(async () => {
    await cleanup();
    await startMirror();
    sb = await startSandbox('sb');
  });

  after(async () => {
    await cleanup();
  });

  test('boots and runs busybox:1.29 pulled from the mirror', async (t) => {
    t.diagnostic(`sandbox ready after ${sb.bootMs} ms`);
    const out = await ok(sb, 'docker run --rm busybox:1.29 echo ok');
    assert.match(out, /^ok$/m);
    const t0 = Date.now();
    await ok(sb, 'docker pull -q nginx');
    t.diagnostic(`docker pull nginx inside the sandbox: ${Date.now() - t0} ms`);
    const mem = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', sb.name]);
    t.diagnostic(`sandbox memory with one image pulled, nothing running: ${mem.stdout.trim()}`);
  });

  test('nginx serves its welcome page on -p 8080:80 and logs the request', async () => {
    await ok(sb, 'docker run -d --name web -p 8080:80 nginx');
    const page = await until(sb, 'curl -sf localhost:8080', 20_000);
    assert.match(page, /Welcome to nginx!/);
    const logs = await ok(sb, 'docker logs web 2>&1');
    assert.match(logs, /"GET \/ HTTP\/1\.1" 200/);
    await ok(sb, 'docker rm -f web');
  });

  test('nginx:alpine has sh but no bash (exec bash fails as on Docker Hub); nginx:latest has both', async () => {
    await ok(sb, 'docker run -d --name web-alpine nginx:alpine && docker run -d --name web-debian nginx:latest');
    await ok(sb, 'docker exec web-alpine sh -c true');
    const bash = await sb.sh('docker exec web-alpine bash -c true');
    assert.notEqual(bash.code, 0, 'bash must be missing from nginx:alpine');
    assert.match(bash.stdout + bash.stderr, /bash.*(not found|no such file)/i);
    await ok(sb, 'docker exec web-debian bash -c true');
    await ok(sb, 'docker rm -f web-alpine web-debian');
  });

  test('read-only nginx fails on /var/cache/nginx like the real one; --tmpfs /var/cache/nginx --tmpfs /run fixes it', async () => {
    // The lesson's command (container-lifecycle, section 6): fails at once, on the official image's path.
    const ro = await sb.sh(
      'docker run --rm --read-only --tmpfs /tmp --tmpfs /run --cap-drop ALL --security-opt no-new-privileges --user 65532:65532 --pids-limit 128 --cpus 1 --memory 256m nginx:alpine',
      60_000,
    );
    assert.notEqual(ro.code, 0);
    assert.match(ro.stdout + ro.stderr, /mkdir\(\) "\/var\/cache\/nginx\/client_temp" failed \(30: Read-only file system\)/);
    await ok(sb, 'docker run -d --name ro-web -p 8083:80 --read-only --tmpfs /var/cache/nginx --tmpfs /run nginx:alpine');
    const page = await until(sb, 'curl -sf localhost:8083', 20_000);
    assert.match(page, /Welcome to nginx!/);
    await ok(sb, 'docker rm -f ro-web');
  });

  test('the demo api reports "healthy" within a few seconds of its start', async () => {
    await ok(sb, 'docker run -d --name hc-api ghcr.io/acme/api:2.0');
    const t0 = Date.now();
    await until(sb, '[ "$(docker inspect -f {{.State.Health.Status}} hc-api)" = healthy ]', 10_000);
    assert.ok(Date.now() - t0 < 5_000, `healthy after ${Date.now() - t0} ms`);
    await ok(sb, 'docker rm -f hc-api');
  });

  test('mysql:5.7 refuses to start without a password and accepts the root password', async () => {
    const bare = await sb.sh('docker run --rm mysql:5.7');
    assert.notEqual(bare.code, 0);
    assert.match(bare.stdout + bare.stderr, /MYSQL_ROOT_PASSWORD/);
    await ok(sb, 'docker run -d --name db -e MYSQL_ROOT_PASSWORD=ch2demo mysql:5.7');
    const out = await until(sb, "docker exec db mysql -uroot -pch2demo -h127.0.0.1 -e 'SELECT 40+2 AS answer'", 90_000);
    assert.match(out, /42/);
    const denied = await sb.sh("docker exec db mysql -uroot -pwrong -h127.0.0.1 -e 'SELECT 1'");
    assert.notEqual(denied.code, 0);
    await ok(sb, 'docker rm -f -v db');
  });

  test('wordpress: --read-only fails on its lock/pid files, works with -v /run/apache2/ --tmpfs /tmp', async () => {
    await ok(sb, 'docker run -d --name wp --read-only wordpress:6.4.3-php8.1-apache');
    await until(sb, '[ "$(docker inspect -f {{.State.Running}} wp)" = false ]', 30_000);
    const logs = await ok(sb, 'docker logs wp 2>&1');
    assert.match(logs, /Read-only file system|could not create|lock file/i);

    await ok(sb, 'docker run -d --name wp_writable wordpress:6.4.3-php8.1-apache');
    const diff = await until(sb, 'docker container diff wp_writable | grep /run/apache2', 30_000);
    assert.match(diff, /\/run\/apache2/);

    await ok(sb, 'docker run -d --name wp2 -p 8081:80 --read-only -v /run/apache2/ --tmpfs /tmp wordpress:6.4.3-php8.1-apache');
    const page = await until(sb, 'curl -sf localhost:8081/', 30_000);
    assert.match(page, /WordPress/);

    const entry = await ok(sb, 'docker run --rm --entrypoint=cat wordpress:5.0.0-php7.2-apache /usr/local/bin/docker-entrypoint.sh');
    assert.match(entry, /WORDPRESS_DB_HOST/);
    await ok(sb, 'docker rm -f -v wp wp_writable wp2');
  });

  test('ch2 agent says "System up." and the mailer gets a message once web stops', async () => {
    await ok(
      sb,
      [
        'docker run -d --name web nginx:latest',
        'docker run -d --name mailer dockerinaction/ch2_mailer',
        'docker run -d --name agent --link web:insideweb --link mailer:insidemailer dockerinaction/ch2_agent',
      ].join(' && '),
    );
    await until(sb, 'docker logs agent 2>&1 | grep -q "System up."', 30_000);
    await ok(sb, 'docker stop web');
    const mail = await until(sb, 'docker logs mailer 2>&1 | grep "Sending email"', 30_000);
    assert.match(mail, /Sending email: To: admin@work\s+Message: The service is down!/);
    await ok(sb, 'docker rm -f web mailer agent');
  });

  test('ghcr.io/acme/api:1.0 comes from the mirror and answers /health', async () => {
    await ok(sb, 'docker network create appnet');
    await ok(sb, 'docker run -d --name api --network appnet -p 8082:8080 ghcr.io/acme/api:1.0');
    const health = await until(sb, 'docker run --rm --network appnet curlimages/curl -sf http://api:8080/health', 30_000);
    assert.match(health, /"status":"ok"/);
    assert.match(health, /"version":"1\.0"/);
    const pulled = await ok(sb, 'docker pull ghcr.io/acme/api:2.0');
    assert.match(pulled, /ghcr\.io\/acme\/api:2\.0/);
    const logs = await ok(sb, 'docker logs api 2>&1');
    assert.match(logs, /listening on :8080/);
    await ok(sb, 'docker rm -f api && docker network rm appnet');
  });

  test('-p 5000:5000 and -p 80:80 are free for the reader; ghcr.io still pulls meanwhile', async () => {
    // The lesson's line: the mirror bridge used to hold 127.0.0.1:5000 (and :80 for ghcr.io).
    await ok(sb, 'docker run -d --name api -p 5000:5000 myapp:prod');
    const health = await until(sb, 'curl -sf localhost:5000/health', 20_000);
    assert.match(health, /"status":"ok"/);
    await ok(sb, 'docker run -d --name web80 -p 80:80 nginx');
    const page = await until(sb, 'curl -sf localhost:80', 20_000);
    assert.match(page, /Welcome to nginx!/);
    // With port 80 published, ghcr.io (127.0.0.2:80 -> the mirror bridge) still reaches the mirror.
    await ok(sb, 'docker rmi ghcr.io/acme/api:1.0 >/dev/null 2>&1; true');
    const pulled = await ok(sb, 'docker pull ghcr.io/acme/api:1.0');
    assert.match(pulled, /Downloaded newer image for ghcr\.io\/acme\/api:1\.0/);
    const listeners = await ok(sb, 'cat /proc/net/tcp');
    // Sockets in LISTEN (st 0A) on 127.0.0.1:80 or :5000 (0100007F:0050 / :1388): none.
    // (dockerd itself holds 0.0.0.0:80 and :5000 to reserve the published ports.)
    assert.doesNotMatch(listeners, /0100007F:(0050|1388) 00000000:0000 0A/);
    assert.match(listeners, /00000000:(0050) 00000000:0000 0A/);
    await ok(sb, 'docker rm -f api web80');
  });

  test("--cpus 1.5 works with the lab server's default sandbox CPU quota", async (t) => {
    const lesson = 'docker run -d --name svc --cpus 1.5 --memory 512m --pids-limit 256 mysvc:latest';
    const cpus = String(loadConfig({}).sandbox.nanoCpus / 1e9);
    t.diagnostic(`default LAB_SANDBOX_CPUS: ${cpus}`);
    // Control: with a 1-CPU sandbox the inner runc cannot give a child 1.5 CPUs.
    await docker(['update', '--cpus', '1', sb.name]);
    const refused = await sb.sh(lesson);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /cfs_quota_us/);
    await ok(sb, 'docker rm -f svc');
    await docker(['update', '--cpus', cpus, sb.name]);
    await ok(sb, lesson);
    const state = await until(
      sb,
      '[ "$(docker inspect -f {{.State.Running}} svc)" = true ] && docker inspect -f {{.HostConfig.NanoCpus}} svc',
      20_000,
    );
    assert.equal(state.trim(), '1500000000');
    await ok(sb, 'docker rm -f svc');
  });

  test('the reader is root only inside the sandbox: host sysctls and own limits stay out of reach', async () => {
    // A fresh proc mount would expose the host's kernel.core_pattern to a
    // CAP_SYS_ADMIN root; in the sandbox's user namespace the write is denied.
    // (The value written is the one already there, so nothing changes even on failure.)
    const r = await sb.sh(
      'mkdir -p /tmp/p && mount -t proc proc /tmp/p; v=$(cat /proc/sys/kernel/core_pattern); printf "%s\\n" "$v" > /tmp/p/sys/kernel/core_pattern && echo WROTE; printf "%s\\n" "$v" > /proc/sys/kernel/core_pattern && echo WROTE2; true',
    );
    assert.doesNotMatch(r.stdout, /WROTE/);
    const lim = await sb.sh(
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /dev/null 2>&1 || exit 0; echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null && echo RAISED; true',
    );
    assert.doesNotMatch(lim.stdout, /RAISED/);
    // But the inner engine still enforces --memory on inner containers.
    const oom = await sb.sh('docker run --rm -m 16m busybox:1.29 sh -c \'x=$(head -c 60000000 /dev/zero | tr "\\0" a); echo survived\'');
    assert.equal(oom.code, 137, oom.stdout + oom.stderr);
  });

  test('a bracketed-paste snippet gives one C and one D mark with its exit status', async () => {
    const term = pty.spawn('docker', ['exec', '-it', '-e', 'LAB_NO_MOTD=1', sb.name, ...SANDBOX_SHELL.command], {
      name: 'xterm-256color',
      cols: 120,
      rows: 30,
      env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string>,
    });
    let out = '';
    term.onData((d) => {
      out += d;
    });
    const waitFor = async (pred: () => boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${JSON.stringify(out)}`);
        await sleep(20);
      }
    };
    try {
      await waitFor(() => out.includes(OSC133.promptEnd), 'first prompt');
      const paste = async (snippet: string): Promise<string> => {
        const start = out.length;
        term.write(`\x1b[200~${snippet}\x1b[201~`);
        await sleep(100);
        term.write('\r');
        await waitFor(() => /\x1b\]133;D;\d+\x07[\s\S]*\x1b\]133;B\x07/.test(out.slice(start)), 'D mark and next prompt');
        return out.slice(start);
      };
      const snippet = ["cat <<'EOF'", 'hello 한글 $HOME', 'EOF', 'echo one \\', '  two', 'false'].join('\n');
      const seg = await paste(snippet);
      const count = (s: string, mark: string) => s.split(mark).length - 1;
      assert.equal(count(seg, OSC133.commandStart), 1, JSON.stringify(seg));
      assert.equal(count(seg, OSC133.commandEndPrefix), 1, JSON.stringify(seg));
      assert.match(seg, /\x1b\]133;D;1\x07/);
      const afterC = seg.slice(seg.indexOf(OSC133.commandStart));
      assert.match(afterC, /hello 한글 \$HOME/);
      assert.match(afterC, /one two/);
      assert.ok(afterC.indexOf(OSC133.commandEndPrefix) > afterC.indexOf('one two'), 'D comes after the output');

      const seg2 = await paste('echo 안녕\ntrue');
      assert.match(seg2, /\x1b\]133;D;0\x07/);
      assert.equal(count(seg2, OSC133.commandStart), 1);
      assert.match(seg2, /안녕/);

      // A snippet bash cannot parse runs nothing, yet the page must learn its status.
      const seg3 = await paste('echo ok; fi )');
      assert.match(seg3, /syntax error/);
      assert.equal(count(seg3, OSC133.commandStart), 1, JSON.stringify(seg3));
      assert.match(seg3, /\x1b\]133;D;2\x07/);

      // An empty Enter is no command: a new prompt, no C and no D.
      const start = out.length;
      term.write('\r');
      await waitFor(() => out.slice(start).includes(OSC133.promptEnd), 'prompt after an empty line');
      assert.equal(count(out.slice(start), OSC133.commandEndPrefix), 0);
    } finally {
      term.kill();
    }
  });
});
