#!/usr/bin/env bash
# Installs the Debian packages the tests and the lab need on a fresh machine
# (Chromium and a Hangul font for the browser tests; image-build tools). Safe to run again:
# it only calls apt-get when something is missing.
set -euo pipefail

packages=(chromium fonts-nanum debootstrap busybox-static docker-registry tini socat ca-certificates)
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
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[setup] done"
