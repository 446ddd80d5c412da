#!/usr/bin/env bash
# 도전 과제 healthy (container-lifecycle): a container named `checked` with a
# healthcheck whose status is healthy.
# Read-only: docker inspect only.
hc=$(docker inspect -f '{{if .Config.Healthcheck}}{{json .Config.Healthcheck.Test}}{{end}}' checked 2>/dev/null)
if ! docker inspect checked >/dev/null 2>&1; then
  echo "checked라는 이름의 컨테이너가 없습니다. --name checked로 실행하세요."
  exit 1
fi
if [ -z "$hc" ] || [ "$hc" = '["NONE"]' ]; then
  echo "checked 컨테이너에 헬스체크가 없습니다. --health-cmd(와 짧은 --health-interval)를 주세요."
  exit 1
fi
status=$(docker inspect -f '{{.State.Health.Status}}' checked 2>/dev/null)
case "$status" in
  healthy) echo "✓ checked 컨테이너의 상태가 healthy입니다." ;;
  starting)
    echo "checked의 헬스체크가 아직 starting입니다. 첫 검사는 --health-interval만큼 지난 뒤에 합니다. 잠시 뒤 다시 확인하세요."
    exit 1
    ;;
  *)
    echo "checked의 헬스체크 상태가 ${status:-없음}입니다. 검사 명령이 성공(종료 코드 0)해야 healthy가 됩니다."
    echo "docker inspect checked | jq '.[0].State.Health.Log'로 검사 결과를 보세요."
    exit 1
    ;;
esac
