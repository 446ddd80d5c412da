#!/usr/bin/env bash
# `npm run typecheck`, shell part: shellcheck over every tracked shell script,
# found by name (*.sh) or by its #! line (sh, bash, dash), so a new script is
# checked without being listed anywhere. Options: .shellcheckrc.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v shellcheck >/dev/null 2>&1 || {
  echo "shellcheck is missing: bash scripts/install-system-deps.sh (as root) or apt-get install -y shellcheck" >&2
  exit 1
}

scripts=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  case "$f" in
    *.sh) scripts+=("$f") ;;
    *) head -n1 "$f" | grep -qE '^#!.*[/ ](ba|da)?sh([[:space:]]|$)' && scripts+=("$f") ;;
  esac
done < <(git ls-files -z)

echo "shellcheck: ${#scripts[@]} scripts"
shellcheck "${scripts[@]}"
