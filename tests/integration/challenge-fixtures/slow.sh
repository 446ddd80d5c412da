#!/usr/bin/env bash
# Fixture: never finishes by itself (the time limit must stop it and what it started).
echo "시작"
sleep 600 &
sleep 601
echo "끝나면 안 됩니다"
