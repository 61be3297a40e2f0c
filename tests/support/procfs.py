"""The processes of this machine as Linux's /proc shows them, for tests and benchmarks that
look at child processes and their memory as an operator would."""
from __future__ import annotations

import os
from typing import Iterator, NamedTuple


class Process(NamedTuple):
    pid: int
    parent: int
    state: str
    rss_pages: int
    command: bytes


def processes() -> Iterator[Process]:
    """Every process that can still be read (one may end while it is being read)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as handle:
                rss_pages = int(handle.read().split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except (OSError, IndexError, ValueError):
            continue
        yield Process(int(entry), int(fields[1]), fields[0], rss_pages, command)
