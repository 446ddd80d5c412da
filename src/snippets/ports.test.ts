import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPortsOf, MAX_RANGE_PORTS, publishedPorts, shellWords } from './ports.ts';
import { listLessons } from './extract.ts';

const cases: [string, number[]][] = [
  ['docker run -d --name web -p 8080:80 nginx', [8080]],
  ['docker run -d -p 127.0.0.1:8080:80 nginx', [8080]],
  ['docker run -d -p [::1]:8443:443 nginx', [8443]],
  ['docker run -d --publish 8080:80 nginx', [8080]],
  ['docker run -d --publish=9090:80 nginx', [9090]],
  ['docker run -d -p 8080:80/tcp nginx', [8080]],
  ['docker run -d -p "8080:80" nginx', [8080]],
  ['docker run -dp 8080:80 nginx', [8080]],
  ['docker run -d -p8080:80 nginx', [8080]],
  ['docker container run -d -p 8080:80 nginx', [8080]],
  ['docker create --name web -p 8081:80 nginx', [8081]],
  ['docker run -d -p 8080:80 -p 8443:443 -p 8080:81 nginx', [8080, 8443]],
  ['docker run -d -p 8080-8082:80-82 nginx', [8080, 8081, 8082]],
  // the engine picks the host port: only the dock's list knows it
  ['docker run -d -P nginx', []],
  ['docker run -d -p 80 nginx', []],
  ['docker run -d -p 127.0.0.1::80 nginx', []],
  ['docker run -d -p $PORT:80 nginx', []],
  // not HTTP
  ['docker run -d -p 5353:53/udp dns', []],
  // a range this wide is no list of buttons
  [`docker run -d -p 8000-${8000 + MAX_RANGE_PORTS}:8000-${8000 + MAX_RANGE_PORTS} nginx`, []],
  // after the image, -p belongs to the container's program
  ['docker run -d --name b busybox nc -l -p 8080:80', []],
  ['docker run -d busybox:1.29 /bin/sh -c "nc -l 0.0.0.0 -p 80"', []],
  // options with values are skipped whole, booleans are not mistaken for them
  ['docker run --rm -it -e A=1 -v "$(pwd)"/x:/y --name w -p 8080:80 nginx', [8080]],
  ['docker run -d -v $(pwd)/x:/y -p 8082:80 nginx', [8082]],
  ['docker run --init --read-only --tmpfs /tmp -p 8084:80 nginx', [8084]],
  // continuations, several commands, substitutions
  ['docker run -d --name web \\\n  -p 8080:80 \\\n  nginx:alpine', [8080]],
  ['docker network create n && docker run -d --network n -p 8085:80 nginx; curl localhost:8085', [8085]],
  ['WP=$(docker create --name wp -p 8086:80 wordpress)\ndocker start $WP', [8086]],
  // not docker run/create
  ['# docker run -p 8080:80 nginx', []],
  ['echo hi # -p 8080:80', []],
  ['docker ps -p 8080:80', []],
  ['docker port web 8080:80', []],
  ['podman run -p 8080:80 nginx', []],
];

for (const [code, expected] of cases) {
  test(`publishedPorts: ${JSON.stringify(code)} → [${expected.join(', ')}]`, () => {
    assert.deepEqual(publishedPorts(code), expected);
  });
}

test('hostPortsOf rejects what is not a port mapping', () => {
  for (const spec of ['', '80', ':80', '8080:', 'a:b', '0:80', '70000:80', '8080:80:90:100', '8082-8080:80']) {
    assert.deepEqual(hostPortsOf(spec), [], spec);
  }
  assert.deepEqual(hostPortsOf('0.0.0.0:8080:80/tcp'), [8080]);
});

test('shellWords removes quotes and marks where commands end', () => {
  assert.deepEqual(shellWords(`a 'b c' "d\\"e" f\\ g; h`), ['a', 'b c', 'd"e', 'f g', null, 'h']);
  assert.deepEqual(shellWords('x=$(docker ps)'), ['x=$()', null, 'docker', 'ps']);
});

test("every lesson's -p 8080:80 nginx snippets are found (what the 미리보기 control appears under)", async () => {
  const snippets = (await listLessons()).flatMap((l) => l.snippets.filter((s) => s.runnable));
  const nginx = snippets.filter((s) => /docker run -d --name (nginx|web) -p 8080:80 nginx/.test(s.code));
  assert.ok(nginx.length >= 2, `found ${nginx.length}`);
  for (const s of nginx) assert.ok(publishedPorts(s.code).includes(8080), s.code);
  // The WordPress stand-in publishes `-p 80`: a random host port, for the dock's list.
  const wordpress = snippets.find((s) => s.code.includes('sh provision.sh client1'));
  assert.ok(wordpress);
  assert.deepEqual(publishedPorts(wordpress.code), []);
});
