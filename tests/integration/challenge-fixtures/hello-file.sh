#!/usr/bin/env bash
# Fixture: passes once /root/hello.txt says 안녕.
if grep -q '안녕' /root/hello.txt 2>/dev/null; then
  echo "좋습니다: /root/hello.txt에 인사가 있습니다."
  exit 0
fi
echo "아직 /root/hello.txt에 '안녕'이 없습니다."
exit 1
