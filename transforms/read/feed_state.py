"""Conditional-GET state between runs: each feed's ETag and Last-Modified.

Kept in ``OUTPUT/_state/feeds.json``, read before a run and replaced
atomically after a successful one, so a failed run simply fetches again.
The file sits in the output folder analysts read, so a feed URL that carries
credentials is never a key in clear (see :func:`state_key`). A state file that
is not what this module writes counts as empty state: the run fetches every
feed unconditionally, names the file as damaged, and its successful end
replaces it.
"""
from __future__ import annotations

import hashlib
import json

from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.write.damage import DamagedFile, damage, read_json
from newsbeam.transforms.write.storage import write_json_atomically
from newsbeam.transforms.names import STATE
from newsbeam.transforms.redact import redact_url

FEEDS = "feeds.json"


def state_path(output: str) -> str:
    return FileSystems.join(output, STATE, FEEDS)


def read_state(output: str) -> tuple[dict, list[dict]]:
    """The saved state, and the damage record of its file ([] when it is sound or absent)."""
    path = state_path(output)
    if not FileSystems.exists(path):
        return {}, []
    try:
        state = read_json(path)
        check_state(state)
    except (DamagedFile, OSError) as exc:
        return {}, [damage(path, exc)]
    return state, []


def load_state(output: str) -> dict:
    return read_state(output)[0]


def check_state(state: object) -> None:
    """Raises DamagedFile unless ``state`` is an object of per-feed objects whose validators
    are strings, which is all a fetch relies on."""
    if not isinstance(state, dict):
        raise DamagedFile(f"not a feed state: a JSON {type(state).__name__}, not an object")
    for key, entry in state.items():
        if not isinstance(entry, dict) or any(not isinstance(entry.get(name), (str, type(None)))
                                              for name in ("etag", "last_modified")):
            raise DamagedFile(f"not a feed state: entry {key[:100]!r} is {json.dumps(entry)[:100]}")


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
    write_json_atomically(state_path(output), state, sort_keys=True)
