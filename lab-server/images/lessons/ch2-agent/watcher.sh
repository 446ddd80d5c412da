#!/bin/sh
# Every second: is http://insideweb:80/ up? Three failures in a row (so a web
# server that is still starting or restarting is not "down") send the alarm to the mailer.
# `docker stop` (TERM) ends it at once. Ctrl+C in `docker attach` of an agent started
# with -it ends it too (the shell exits 130 from `wait`); detach with Ctrl+P, Ctrl+Q.
trap 'exit 0' TERM
fails=0
while true; do
  # (Debian's busybox-static 1.35 wget segfaults with -T; timeout bounds it instead.)
  if timeout 2 wget -q -O /dev/null http://insideweb:80/ 2>/dev/null; then
    fails=0
    echo "System up."
  else
    fails=$((fails + 1))
    if [ "$fails" -ge 3 ]; then
      printf 'To: admin@work  Message: The service is down!' | nc -w 2 insidemailer 33333
      echo "The service is down! (notified insidemailer)"
      break
    fi
  fi
  sleep 1 & wait $!
done
