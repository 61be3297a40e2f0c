"""Conditional-GET state between runs: each feed's ETag and Last-Modified.

Kept in ``OUTPUT/_state/feeds.json``, read before a run and replaced
atomically after a successful one, so a failed run simply fetches again.
"""
from __future__ import annotations

import json

from apache_beam.io.filesystems import FileSystems

from pipeline.writers import ensure_dir

STATE = "_state"
FEEDS = "feeds.json"


def state_path(output: str) -> str:
    return FileSystems.join(output, STATE, FEEDS)


def load_state(output: str) -> dict:
    path = state_path(output)
    if not FileSystems.exists(path):
        return {}
    with FileSystems.open(path) as handle:
        return json.loads(handle.read() or b"{}")


def updated_state(state: dict, feed_log: list[dict]) -> dict:
    """The state after a run: validators of feeds fetched anew replace the old ones; feeds
    that were not modified or failed keep theirs."""
    new = dict(state)
    for record in feed_log:
        if record["status"] != "fetched":
            continue
        validators = {k: record[k] for k in ("etag", "last_modified") if record.get(k)}
        if validators:
            new[record["url"]] = {**validators, "fetched_at": record["fetched_at"]}
        else:
            new.pop(record["url"], None)
    return new


def save_state(output: str, state: dict) -> None:
    folder = FileSystems.join(output, STATE)
    ensure_dir(folder)
    temporary = FileSystems.join(folder, f".{FEEDS}.tmp")
    with FileSystems.create(temporary) as handle:
        handle.write(json.dumps(state, indent=1, sort_keys=True).encode("utf-8"))
    FileSystems.rename([temporary], [state_path(output)])
