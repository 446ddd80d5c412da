#!/usr/bin/env bash
# 도전 과제 restart-count (container-basics): a container named `flaky` with a
# restart policy that restarts it after failure, restarted at least twice.
# Read-only: docker inspect only.
policy=$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' flaky 2>/dev/null)
if [ -z "$policy" ]; then
  echo "flaky라는 이름의 컨테이너가 없습니다. --name flaky로 실행하세요."
  exit 1
fi
case "$policy" in
  on-failure | always | unless-stopped) ;;
  *)
    echo "flaky 컨테이너에 재시작 정책이 없습니다(지금: ${policy:-no}). --restart on-failure를 붙여 다시 실행하세요."
    exit 1
    ;;
esac
count=$(docker inspect -f '{{.RestartCount}}' flaky)
if [ "$count" -lt 2 ]; then
  echo "flaky의 RestartCount가 ${count}입니다. 실패로 끝나는 명령(예: exit 1)이어야 재시작되고, 2 이상이 될 때까지 기다려야 합니다."
  exit 1
fi
echo "✓ flaky가 ${policy} 정책으로 ${count}번 재시작했습니다."
