#!/usr/bin/env bash
# 도전 과제 user-network (isolation-and-operations): web, mailer and agent share a
# user-defined network, agent has no --link, and agent reaches web ("System up.").
# Read-only: inspect and docker logs.
for c in web mailer agent; do
  if [ "$(docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" != true ]; then
    echo "${c} 컨테이너가 실행 중이 아닙니다. web, mailer, agent 세 컨테이너를 모두 실행하세요."
    exit 1
  fi
done
if [ -n "$(docker inspect -f '{{range .HostConfig.Links}}{{.}}{{end}}' agent)" ]; then
  echo "agent가 아직 --link로 연결되어 있습니다. --link 없이 사용자 정의 네트워크로 다시 만드세요."
  exit 1
fi
nets() { docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$1" | tr ' ' '\n' | grep -vxE 'bridge|host|none|'; }
shared=$(comm -12 <(nets agent | sort) <(nets web | sort) | comm -12 - <(nets mailer | sort))
if [ -z "$shared" ]; then
  echo "web, mailer, agent가 함께 연결된 사용자 정의 네트워크가 없습니다. docker network create로 만든 네트워크에 셋 다 --network로 연결하세요."
  exit 1
fi
if ! docker logs --tail 3 agent 2>&1 | grep -q 'System up.'; then
  echo "agent가 web에 닿지 않습니다(로그에 System up.이 없음). agent는 insideweb, insidemailer라는 이름을 찾으므로 web과 mailer에 --network-alias로 그 이름을 주세요."
  exit 1
fi
echo "✓ web, mailer, agent가 네트워크 ${shared%%$'\n'*}에서 --link 없이 서로를 찾습니다."
