"""Conditional-GET state between runs: each feed's ETag and Last-Modified.

Kept in ``OUTPUT/_state/feeds.json``, read before a run and replaced
atomically after a successful one, so a failed run simply fetches again.
The file sits in the output folder analysts read, so a feed URL that carries
credentials is never a key in clear (see :func:`state_key`).
"""
from __future__ import annotations

import hashlib
import json

from apache_beam.io.filesystems import FileSystems

from pipeline.writers import ensure_dir
from transforms.redact import redact_url

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


def state_key(url: str) -> str:
    """A feed's key in the state: its URL, or for a URL carrying credentials the redacted URL
    with a fingerprint of the whole, so that two feeds differing only in their token keep
    their own validators. The fingerprint is a slow hash (PBKDF2), so that a weak password
    cannot be confirmed by cheap guessing against it."""
    redacted = redact_url(url)
    if redacted == url:
        return url
    fingerprint = hashlib.pbkdf2_hmac("sha256", url.encode("utf-8"), b"newsbeam feed state", 100_000)
    return f"{redacted} #{fingerprint.hex()[:16]}"


def updated_state(state: dict, feed_log: list[dict]) -> dict:
    """The state after a run: validators of feeds fetched anew replace the old ones; feeds
    that were not modified or failed keep theirs. Keys that hold credentials in clear
    (written by earlier versions) are dropped."""
    new = {url: known for url, known in state.items() if redact_url(url) == url}
    for record in feed_log:
        if record["status"] != "fetched":
            continue
        key = record.get("state_key") or record["url"]
        validators = {k: record[k] for k in ("etag", "last_modified") if record.get(k)}
        if validators:
            new[key] = {**validators, "fetched_at": record["fetched_at"]}
        else:
            new.pop(key, None)
    return new


def save_state(output: str, state: dict) -> None:
    folder = FileSystems.join(output, STATE)
    ensure_dir(folder)
    temporary = FileSystems.join(folder, f".{FEEDS}.tmp")
    with FileSystems.create(temporary) as handle:
        handle.write(json.dumps(state, indent=1, sort_keys=True).encode("utf-8"))
    FileSystems.rename([temporary], [state_path(output)])
