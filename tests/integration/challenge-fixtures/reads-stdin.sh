#!/usr/bin/env bash
# Fixture: a command that reads stdin must not eat the rest of the script.
cat > /dev/null
echo "stdin은 비어 있습니다"
exit 0
