# /etc/bash.bashrc of the lab sandbox: read by every interactive bash.
# Shell integration for the page's terminal: OSC 133 marks
#   A  prompt start      B  prompt end (input starts)
#   C  command starts    D;<exit>  command finished with <exit>
# The page pastes a snippet with bracketed paste and presses Enter once, so a
# multi-line snippet is one input: one C, one D with the status of its last command.

[ -z "${PS1-}" ] && return

shopt -s checkwinsize histappend
HISTFILE=${HISTFILE:-/root/.bash_history}
HISTSIZE=5000
HISTFILESIZE=20000
HISTCONTROL=ignoreboth

# Docker's and the other commands' completion.
if [ -f /usr/share/bash-completion/bash_completion ] && ! shopt -oq posix; then
  . /usr/share/bash-completion/bash_completion
fi

__lab_ran=0
__lab_seen=$HISTCMD
# D only after an input was accepted: an empty Enter or Ctrl-C at the prompt
# gives a new prompt (A/B) but no D. An input bash could not parse (a syntax
# error) runs no command, so PS0 printed no C; it still enters history
# (HISTCMD moves), and the page must learn its status (2): C then D.
__lab_prompt_command() {
  local ec=$?
  if [ "$__lab_ran" -gt 0 ]; then
    printf '\033]133;D;%s\007' "$ec"
  elif [ "$HISTCMD" != "$__lab_seen" ]; then
    printf '\033]133;C\007\033]133;D;%s\007' "$ec"
  fi
  __lab_ran=0
  __lab_seen=$HISTCMD
  # Keep history when the page reconnects with a new shell.
  history -a
  return $ec
}
PROMPT_COMMAND=__lab_prompt_command

# PS0 is printed after Enter, before each command of the input runs; a pasted
# multi-line snippet runs several commands but must give ONE C mark. The array
# subscript is evaluated arithmetically in this shell (prompt expansion does
# not fork): the first command of the input picks element 0 (the C mark), the
# next ones element 1 (nothing); PROMPT_COMMAND resets the counter.
__lab_c=($'\e]133;C\a' '')
PS0='${__lab_c[__lab_ran++ > 0]}'
PS1='\[\e]133;A\a\]\[\e[1;32m\]lab\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]$ \[\e]133;B\a\]'
PS2='> '

alias ls='ls --color=auto'
alias ll='ls -alF'
alias grep='grep --color=auto'

# Greeting once per terminal (LAB_NO_MOTD=1 to skip, e.g. for tests).
if [ -z "${LAB_NO_MOTD-}" ] && [ -z "${__LAB_MOTD_SHOWN-}" ]; then
  export __LAB_MOTD_SHOWN=1
  [ -r /etc/lab/motd ] && cat /etc/lab/motd
fi

# The first shell starts as soon as the inner world exists, ~0.6 s before its
# engine answers (lab-shell, LAB_SHELL_WAIT_S). Hold the first prompt until
# the engine answers, so a snippet the page pastes at the prompt finds a
# working `docker`. dockerd creates its socket early and answers on it once
# initialised: a _ping blocks until then. The inner world has its own /run
# (the outer /run/lab/ready is not visible here); the marker below is this
# world's own, so later shells skip the wait without a fork.
if [ ! -e /run/lab-engine-answered ]; then
  __lab_ping() { curl -sf --max-time "$1" --unix-socket /var/run/docker.sock -o /dev/null http://docker/_ping; }
  if __lab_ping 0.3; then
    : > /run/lab-engine-answered
  else
    printf 'Docker 엔진을 준비하는 중입니다'
    for __i in $(seq 1 60); do
      if __lab_ping 1; then
        : > /run/lab-engine-answered
        break
      fi
      printf '.'
      # No socket yet: curl failed at once, so pace the retries.
      [ -S /var/run/docker.sock ] || sleep 0.1
    done
    unset __i
    echo
  fi
  unset -f __lab_ping
fi
