#!/usr/bin/env bash
# Makes sure a Docker engine answers, for `npm start` and `npm test`:
#   1. an engine is reachable (DOCKER_HOST or /var/run/docker.sock): use it;
#   2. else, as root: install Debian's docker.io if dockerd is missing, and
#      start dockerd (systemd if it runs the machine, else in the background
#      logging to $LAB_DOCKERD_LOG, default /var/log/lab-dockerd.log);
#   3. else: say what to do, exit 1.
# Idempotent; prints one line when the engine was already there.
set -euo pipefail

LOG=${LAB_DOCKERD_LOG:-/var/log/lab-dockerd.log}
WAIT_S=${LAB_DOCKERD_WAIT:-60}

reachable() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }
version() { docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'; }

if reachable; then
  echo "docker: engine $(version) reachable${DOCKER_HOST:+ at $DOCKER_HOST}"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  cat >&2 <<EOF
docker: no Docker engine is reachable${DOCKER_HOST:+ at DOCKER_HOST=$DOCKER_HOST}.
  The lab needs one. Either:
  - install and start it as root:  sudo apt-get install -y docker.io && sudo systemctl start docker
    (or run this script as root: sudo bash scripts/ensure-docker.sh)
  - or give your user access:      sudo usermod -aG docker "\$USER"   (then log in again)
  - or point DOCKER_HOST at a running engine (e.g. unix:///run/user/\$UID/docker.sock for rootless Docker)
EOF
  exit 1
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
  echo "docker: DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine in its place" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker: installing Debian's docker.io ..."
  bash "$(dirname "${BASH_SOURCE[0]}")/install-system-deps.sh" docker
fi

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  echo "docker: starting docker.service ..."
  systemctl start docker || true
fi

if ! reachable && ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "docker: starting dockerd in the background (log: $LOG) ..."
  mkdir -p "$(dirname "$LOG")"
  # setsid: dockerd must outlive this script and the terminal that ran it.
  setsid nohup dockerd >>"$LOG" 2>&1 < /dev/null &
fi

for _ in $(seq 1 $((WAIT_S * 4))); do
  if reachable; then
    echo "docker: engine $(version) ready"
    exit 0
  fi
  sleep 0.25
done
echo "docker: dockerd did not answer within ${WAIT_S}s; last lines of $LOG:" >&2
tail -20 "$LOG" >&2 2>/dev/null || true
exit 1
