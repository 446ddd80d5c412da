#!/usr/bin/env bash
# 도전 과제 exec-note (container-basics): a running container named `toolbox`
# holds /tmp/note.txt containing "hello docker", written with docker exec.
# Read-only: inspect and one `docker exec` that reads the file.
state=$(docker inspect -f '{{.State.Running}}' toolbox 2>/dev/null)
if [ -z "$state" ]; then
  echo "toolbox라는 이름의 컨테이너가 없습니다. --name toolbox로 실행하세요."
  exit 1
fi
if [ "$state" != true ]; then
  echo "toolbox 컨테이너가 실행 중이 아닙니다. 끝나지 않는 명령(sleep infinity)으로 실행해야 exec로 들어갈 수 있습니다."
  exit 1
fi
if ! docker exec toolbox test -f /tmp/note.txt 2>/dev/null; then
  echo "toolbox 컨테이너 안에 /tmp/note.txt 파일이 없습니다. docker exec로 만드세요."
  exit 1
fi
if ! docker exec toolbox cat /tmp/note.txt | grep -q 'hello docker'; then
  echo "/tmp/note.txt에 hello docker라는 글이 없습니다."
  exit 1
fi
echo "✓ toolbox 컨테이너의 /tmp/note.txt에 hello docker가 있습니다."
