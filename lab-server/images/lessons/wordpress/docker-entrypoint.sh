#!/bin/bash
# Lab stand-in for the official wordpress entrypoint: on first start copy the
# site into /var/www/html (a volume, so it is writable even with --read-only),
# then write wp-config.php from the WORDPRESS_DB_* variables.
set -euo pipefail

if [[ "$1" == apache2* ]] || [ "$1" = php-fpm ]; then
  if [ ! -e index.php ] && [ ! -e wp-includes/version.php ]; then
    echo >&2 "WordPress not found in $PWD - copying now..."
    cp -a /usr/src/wordpress/. .
    echo >&2 "Complete! WordPress has been successfully copied to $PWD"
  fi
  if [ ! -s wp-config.php ]; then
    : "${WORDPRESS_DB_HOST:=mysql}"
    : "${WORDPRESS_DB_USER:=root}"
    : "${WORDPRESS_DB_PASSWORD:=${MYSQL_ENV_MYSQL_ROOT_PASSWORD:-}}"
    : "${WORDPRESS_DB_NAME:=wordpress}"
    esc() { printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g"; }
    cat > wp-config.php <<PHP
<?php
define('DB_NAME', '$(esc "$WORDPRESS_DB_NAME")');
define('DB_USER', '$(esc "$WORDPRESS_DB_USER")');
define('DB_PASSWORD', '$(esc "$WORDPRESS_DB_PASSWORD")');
define('DB_HOST', '$(esc "$WORDPRESS_DB_HOST")');
define('WP_VERSION_LAB', '$(esc "$WORDPRESS_VERSION")');
PHP
  fi
  chown -R www-data:www-data . 2>/dev/null || true
fi

exec "$@"
