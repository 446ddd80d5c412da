#!/usr/bin/env bash
# The one place that installs Debian packages. Safe to run again: it only
# calls apt-get when something is missing.
#   install-system-deps.sh          everything `npm test` needs (scripts/test-all.sh)
#   install-system-deps.sh images   only what building the lesson images needs on
#                                   the host (scripts/start.sh, before build-images.sh)
#   install-system-deps.sh docker   Debian's Docker Engine, when no engine answers
#                                   (scripts/ensure-docker.sh decides)
set -euo pipefail

# Building the images: debootstrap for the base image, curl to wait for the
# temporary push registry (scripts/build-images.sh).
images=(debootstrap curl)
# The tests: Chromium and a Hangul font for the browser tests, shellcheck for
# `npm run typecheck`, and the tools the test helpers and image builds use.
tests=(chromium fonts-nanum shellcheck busybox-static docker-registry tini socat ca-certificates)

# Docker Engine comes with its recommended packages (xz-utils for `docker load`, ...).
docker=(docker.io)

apt_opts=(--no-install-recommends)
case "${1:-all}" in
  images) packages=("${images[@]}") ;;
  docker) packages=("${docker[@]}"); apt_opts=() ;;
  all) packages=("${images[@]}" "${tests[@]}") ;;
  *) echo "usage: $0 [images|docker]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[setup] system packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "[setup] 필요한 패키지가 없습니다 / missing Debian packages: ${missing[*]}" >&2
  echo "[setup] run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "[setup] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${apt_opts[@]}" "${missing[@]}" >/dev/null
echo "[setup] done"
