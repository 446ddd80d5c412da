#!/usr/bin/env bash
# 도전 과제 readonly-nginx (container-lifecycle): a container named `ro-nginx`
# from nginx with a read-only root, still running and answering on port 8090.
# Read-only: inspect and one HTTP request.
ro=$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' ro-nginx 2>/dev/null)
if [ -z "$ro" ]; then
  echo "ro-nginx라는 이름의 컨테이너가 없습니다. --name ro-nginx로 실행하세요."
  exit 1
fi
if [ "$ro" != true ]; then
  echo "ro-nginx의 루트 파일 시스템이 읽기 전용이 아닙니다. --read-only를 붙이세요."
  exit 1
fi
if [ "$(docker inspect -f '{{.State.Running}}' ro-nginx)" != true ]; then
  echo "ro-nginx가 멈췄습니다: nginx가 쓰는 경로(/var/cache/nginx, /run)에 --tmpfs를 주지 않으면 바로 끝납니다."
  echo "docker logs ro-nginx로 어느 경로에서 실패했는지 확인하세요."
  exit 1
fi
if ! curl -s --max-time 3 http://localhost:8090/ | grep -q 'Welcome to nginx'; then
  echo "http://localhost:8090 에서 nginx 첫 페이지가 나오지 않습니다. -p 8090:80으로 포트를 연결하세요."
  exit 1
fi
echo "✓ 읽기 전용 루트의 nginx가 8090번 포트에서 응답합니다."
