"""Runs a command in a pseudo-terminal, as a terminal would, and types Ctrl-C into it on cue.

usage: pty_run.py CUE TRANSCRIPT PIDFILE -- COMMAND...

Everything the command writes to the terminal goes to TRANSCRIPT; its pid goes to PIDFILE. Once
the file CUE exists, Ctrl-C (0x03) is typed once: the terminal's line discipline turns it into
SIGINT for the foreground process group, as in an interactive shell. Exits with the command's exit
code (128 + N when signal N killed it).
"""
import os
import pty
import select
import sys

cue, transcript, pidfile = sys.argv[1], sys.argv[2], sys.argv[3]
argv = sys.argv[5:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
with open(pidfile, "w") as f:
    f.write(str(pid))
typed = False
status = None
with open(transcript, "wb") as log:
    while True:
        if not typed and os.path.exists(cue):
            os.write(fd, b"\x03")
            typed = True
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                data = b""
            if data:
                log.write(data)
                log.flush()
                continue
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
        if status is not None and not ready:
            break
        if status is not None and ready and not data:
            break
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
