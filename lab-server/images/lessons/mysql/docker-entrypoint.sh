#!/bin/bash
# Behaves like the official mysql image's entrypoint for what the lessons use.
set -eo pipefail

note() { echo "$(date -u '+%Y-%m-%dT%H:%M:%S.000000Z') 0 [Note] [Entrypoint]: $*"; }
error() { echo "$(date -u '+%Y-%m-%dT%H:%M:%S.000000Z') 0 [ERROR] [Entrypoint]: $*" >&2; exit 1; }

# `docker run mysql:5.7 --some-option` passes options to mysqld.
if [ "${1:0:1}" = '-' ]; then set -- mysqld "$@"; fi

if [ "$1" != mysqld ] && [ "$1" != mariadbd ]; then exec "$@"; fi

note "Entrypoint script for MySQL Server ${MYSQL_VERSION} started."
DATADIR=/var/lib/mysql
mkdir -p "$DATADIR" /run/mysqld
chown mysql:mysql "$DATADIR" /run/mysqld

if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "$MYSQL_ALLOW_EMPTY_PASSWORD" ] && [ -z "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
    error $'Database is uninitialized and password option is not specified\n    You need to specify one of the following as an environment variable:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD'
  fi
  note "Initializing database files"
  mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db \
    --auth-root-authentication-method=normal > /tmp/install-db.log 2>&1 \
    || { cat /tmp/install-db.log >&2; error "mariadb-install-db failed"; }
  note "Database files initialized"
  note "Starting temporary server"
  mariadbd --user=mysql --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 1 300); do
    mariadb --protocol=socket --socket=/run/mysqld/init.sock -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || error "temporary server died"
    sleep 0.1
  done
  note "Temporary server started."
  if [ -n "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
    MYSQL_ROOT_PASSWORD=$(head -c 18 /dev/urandom | base64)
    note "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
  fi
  sql() { mariadb --protocol=socket --socket=/run/mysqld/init.sock -uroot "$@"; }
  esc() { printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g"; }
  rootpw=$(esc "$MYSQL_ROOT_PASSWORD")
  sql <<SQL
DELETE FROM mysql.global_priv WHERE User NOT IN ('root', 'mariadb.sys', 'mysql') OR Host NOT IN ('localhost');
DELETE FROM mysql.proxies_priv WHERE Host NOT IN ('localhost');
ALTER USER 'root'@'localhost' IDENTIFIED BY '${rootpw}';
CREATE USER 'root'@'%' IDENTIFIED BY '${rootpw}';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  if [ -n "$MYSQL_DATABASE" ]; then
    note "Creating database ${MYSQL_DATABASE}"
    sql -p"$MYSQL_ROOT_PASSWORD" -e "CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`;"
  fi
  if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
    note "Creating user ${MYSQL_USER}"
    sql -p"$MYSQL_ROOT_PASSWORD" -e "CREATE USER '$(esc "$MYSQL_USER")'@'%' IDENTIFIED BY '$(esc "$MYSQL_PASSWORD")';"
    if [ -n "$MYSQL_DATABASE" ]; then
      sql -p"$MYSQL_ROOT_PASSWORD" -e "GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '$(esc "$MYSQL_USER")'@'%';"
    fi
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) note "running $f"; . "$f" ;;
      *.sql) note "running $f"; sql -p"$MYSQL_ROOT_PASSWORD" "${MYSQL_DATABASE:-mysql}" < "$f" ;;
    esac
  done
  note "Stopping temporary server"
  kill "$pid"; wait "$pid" || true
  note "Temporary server stopped"
  echo
  note "MySQL init process done. Ready for start up."
  echo
fi

# mysqld as PID 1: `docker stop` (SIGTERM) shuts it down cleanly.
exec mariadbd "${@:2}"
