#!/usr/bin/env bash
# Fixture: prints 2 MB, then the line that matters.
head -c 2000000 /dev/zero | tr '\0' x
echo
echo "마지막 줄: 아직 아닙니다."
exit 3
