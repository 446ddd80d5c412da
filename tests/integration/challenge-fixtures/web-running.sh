#!/usr/bin/env bash
# Fixture: passes once the inner Docker runs a container named web.
if [ "$(docker ps --filter name='^web$' --format '{{.Names}}')" = web ]; then
  exit 0
fi
echo "web 컨테이너가 실행 중이 아닙니다."
exit 1
