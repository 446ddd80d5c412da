#!/usr/bin/env bash
# 도전 과제 zombie-init (docker-intro): a running container named `reaper`,
# started with --init and the same command as `zombie`, has no zombie.
# Read-only: inspect and one `docker exec` that reads /proc.
state=$(docker inspect -f '{{.State.Running}}' reaper 2>/dev/null)
if [ -z "$state" ]; then
  echo "reaper라는 이름의 컨테이너가 없습니다. --name reaper로 실행하세요."
  exit 1
fi
if [ "$(docker inspect -f '{{.HostConfig.Init}}' reaper)" != true ]; then
  echo "reaper 컨테이너를 --init 없이 실행했습니다. --init을 붙여 다시 실행하세요."
  exit 1
fi
if [ "$state" != true ]; then
  echo "reaper 컨테이너가 실행 중이 아닙니다. zombie와 같은 명령(오래 사는 PID 1)으로 실행하세요."
  exit 1
fi
want=$(docker inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' zombie 2>/dev/null)
got=$(docker inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' reaper)
if [ -z "$want" ]; then
  echo "비교할 zombie 컨테이너가 없습니다. 앞 과제의 zombie 컨테이너를 먼저 실행하세요."
  exit 1
fi
if [ "$want" != "$got" ]; then
  echo "reaper의 명령이 zombie의 명령과 다릅니다. 같은 명령에 --init만 더해 실행하세요."
  exit 1
fi
if [ "$(docker exec reaper sh -c 'cat /proc/[0-9]*/stat 2>/dev/null' | grep -c ') Z ')" -gt 0 ]; then
  echo "reaper 컨테이너 안에 아직 좀비 프로세스(상태 Z)가 있습니다. 몇 초 뒤 다시 확인하세요."
  exit 1
fi
echo "✓ --init(docker-init)이 PID 1이 되어 좀비를 거두었습니다."
