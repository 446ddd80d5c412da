#!/bin/sh
# `docker stop` sends SIGTERM to PID 1; a shell as PID 1 ignores it unless trapped.
trap 'exit 0' TERM INT
printf 'CH2 Example Mailer has started.\n'
while true; do
  # One message per connection; nc runs in the background so the trap fires at once.
  nc -l -p 33333 > /tmp/message &
  wait $!
  MESSAGE=$(cat /tmp/message)
  [ -n "$MESSAGE" ] && printf 'Sending email: %s\n' "$MESSAGE"
done
