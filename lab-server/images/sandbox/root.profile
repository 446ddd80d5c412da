# Login shells read this; interactive settings live in /etc/bash.bashrc.
if [ -n "${BASH_VERSION-}" ] && [ -f /etc/bash.bashrc ]; then
  . /etc/bash.bashrc
fi
