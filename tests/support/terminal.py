"""Running the real CLI with its stderr on a pseudo-terminal, as a person at a console sees it."""
import os
import pty
import struct
import subprocess
import sys
import termios
from fcntl import ioctl
from pathlib import Path

NEWSBEAM = str(Path(sys.executable).with_name("newsbeam"))


def run_on_a_terminal(*argv: str, env: dict | None = None) -> tuple[int, str]:
    """``newsbeam ARGV`` with stderr on a pseudo-terminal of 100 x 30 (and ``env``, if given); its exit
    status and what it drew."""
    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen([NEWSBEAM, *argv], stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    drawn = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end closed: the process is done
            break
        if not chunk:
            break
        drawn.append(chunk)
    os.close(leader)
    process.communicate(timeout=120)
    return process.returncode, b"".join(drawn).decode("utf-8", "replace")
