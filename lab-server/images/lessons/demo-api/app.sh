#!/bin/sh
# PID 1 shell: trap SIGTERM so `docker stop` ends it at once (not after the grace period).
trap 'echo "$APP_NAME: SIGTERM, shutting down"; kill "$pid" 2>/dev/null; exit 0' TERM INT
www=/tmp/www
mkdir -p "$www"
printf '{"status":"ok","app":"%s","version":"%s"}\n' "$APP_NAME" "$APP_VERSION" > "$www/health"
printf '%s %s\n' "$APP_NAME" "$APP_VERSION" > "$www/index.html"
echo "$APP_NAME $APP_VERSION listening on :$PORT (GET /health)"
# -f foreground, -vv logs every request to stderr (docker logs)
httpd -f -vv -p "$PORT" -h "$www" &
pid=$!
wait "$pid"
