#!/usr/bin/env bash
# 도전 과제 zombie (docker-intro): a running container named `zombie` holds a
# zombie process (state Z), i.e. its PID 1 does not reap orphaned children.
# Read-only: inspect and one `docker exec` that reads /proc.
state=$(docker inspect -f '{{.State.Running}}' zombie 2>/dev/null)
if [ -z "$state" ]; then
  echo "zombie라는 이름의 컨테이너가 없습니다. --name zombie로 실행하세요."
  exit 1
fi
if [ "$state" != true ]; then
  echo "zombie 컨테이너가 실행 중이 아닙니다. PID 1이 오래 살아 있어야(예: exec sleep 600) 좀비가 남습니다."
  exit 1
fi
zombies=$(docker exec zombie sh -c 'cat /proc/[0-9]*/stat 2>/dev/null' | grep -c ') Z ')
if [ "$zombies" -lt 1 ]; then
  echo "zombie 컨테이너 안에 좀비 프로세스(상태 Z)가 없습니다."
  echo "부모가 먼저 끝나 PID 1에게 넘겨진 자식이 종료되어야 합니다. 예: sh -c '(sleep 1 &); exec sleep 600'"
  exit 1
fi
echo "✓ zombie 컨테이너에 좀비 프로세스 ${zombies}개: PID 1이 거두지 않았습니다."
