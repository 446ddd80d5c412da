#!/usr/bin/env bash
# 도전 과제 alarm (isolation-and-operations): web stopped, and the agent's
# alarm "The service is down!" is in the mailer's log.
# Read-only: inspect and docker logs.
if ! docker inspect mailer >/dev/null 2>&1; then
  echo "mailer 컨테이너가 없습니다. 1-1절처럼 web과 mailer를, 1-3절처럼 agent를 먼저 실행하세요."
  exit 1
fi
if docker logs mailer 2>&1 | grep -q 'The service is down!'; then
  echo "✓ mailer 로그에 The service is down!이 있습니다."
  exit 0
fi
if ! docker inspect agent >/dev/null 2>&1; then
  echo "agent 컨테이너가 없습니다. web을 감시하는 agent를 web, mailer에 연결해 실행하세요."
  exit 1
fi
if [ "$(docker inspect -f '{{.State.Running}}' web 2>/dev/null)" = true ]; then
  echo "web이 아직 실행 중입니다. docker stop web으로 멈추세요."
  exit 1
fi
echo "mailer 로그에 아직 The service is down!이 없습니다. agent는 web이 세 번 연속 응답하지 않아야 알립니다."
echo "agent가 실행 중인지(docker ps) 확인하고 몇 초 뒤 다시 확인하세요."
exit 1
