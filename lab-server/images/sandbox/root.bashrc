# Everything (prompt, OSC 133 marks, completion) is in /etc/bash.bashrc.
