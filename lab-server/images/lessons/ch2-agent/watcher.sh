#!/bin/sh
trap 'exit 0' TERM INT
while true; do
  if wget -q -T 2 -O /dev/null http://insideweb:80/ 2>/dev/null; then
    echo "System up."
  else
    printf 'To: admin@work  Message: The service is down!' | nc -w 2 insidemailer 33333
    echo "The service is down! (notified insidemailer)"
    break
  fi
  sleep 1 & wait $!
done
