#!/bin/sh
# Prints the same kind of start-up lines as the official image, then runs nginx
# as PID 1 (exec), so `docker stop` (SIGQUIT) reaches it directly.
set -e
if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
    echo "/docker-entrypoint.sh: Configuration complete; ready for start up"
fi
exec "$@"
