"""The Docker image's entrypoint: ``python -m newsbeam.pipeline.entrypoint COMMAND …``, under tini.

The image runs as uid 10001, and a folder bind-mounted from the host belongs to the host's user,
so the first thing a new user of the image meets is a folder the container cannot write. Before
any work, this names the folder, the container's uid and gid, the folder's owner and the fix
(``docker run --user "$(id -u):$(id -g)"``, or ``fsGroup`` on Kubernetes), in one line and with
exit status 2; then it runs the ``newsbeam`` command as given.

Signals are tini's job (PID 1 in the image): it forwards ``docker stop``'s SIGTERM to this process,
which is then an ordinary process whose SIGTERM ends it (``run`` and ``watch`` turn it into a clean
stop that releases the output lock), and it reaps every child.
"""
from __future__ import annotations

import os
import sys
import tempfile
from typing import Optional

from newsbeam.pipeline.cli import EXIT_USAGE, build_parser, main as newsbeam


def folder_to_write(argv: list[str]) -> Optional[str]:
    """The local folder the command will write into, when it writes one: a run's or a watch's
    output (flag or config), the folder compacted, the folder of a report's page."""
    args, _ = build_parser().parse_known_args(argv)
    target = None
    if args.command in ("run", "watch"):
        target = args.output or _config_output(args.config)
    elif args.command == "compact":
        target = args.output
    elif args.command == "report" and args.html:
        target = os.path.dirname(os.path.abspath(args.html))
    if not target or "://" in target:
        return None
    return target


def _config_output(path: Optional[str]) -> Optional[str]:
    if not path:
        return None
    from newsbeam.pipeline.config import ConfigError, read_config_file

    try:
        return read_config_file(path).get("output")
    except ConfigError:
        return None  # the command itself names what is wrong with the config


def _existing(folder: str) -> str:
    """``folder``, or the nearest folder above it that exists (where it would be created)."""
    folder = os.path.abspath(folder)
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    return folder


def writable(folder: str) -> bool:
    """Whether this process can create a file in ``folder``, tried for real (permissions, ACLs,
    read-only mounts and user namespaces all answer the same way)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".newsbeam-write-check-"):
            return True
    except OSError:
        return False


def unwritable_message(target: str) -> Optional[str]:
    """One line naming the folder, who we are, who owns it and the fix; None when it is writable."""
    folder = _existing(target)
    if writable(folder):
        return None
    try:
        owner = os.stat(folder)
        owned = f"it belongs to uid {owner.st_uid} (gid {owner.st_gid}, mode {owner.st_mode & 0o777:o})"
    except OSError:
        owned = "it cannot be read"
    return (f"newsbeam: error: output folder {folder} is not writable by uid {os.getuid()} (gid {os.getgid()}): "
            f"{owned}. Run the container as the folder's owner, e.g. docker run --user \"$(id -u):$(id -g)\" …, "
            f"or make it writable for uid {os.getuid()} (Kubernetes: securityContext.fsGroup).")


def main(argv: Optional[list[str]] = None, process: bool = False) -> int:
    """``process``: this call is the whole process (the image's command), as for ``cli.main``."""
    argv = sys.argv[1:] if argv is None else argv
    target = folder_to_write(argv)
    message = unwritable_message(target) if target else None
    if message:
        print(message, file=sys.stderr)
        return EXIT_USAGE
    return newsbeam(argv, process=process)


if __name__ == "__main__":
    sys.exit(main(process=True))
