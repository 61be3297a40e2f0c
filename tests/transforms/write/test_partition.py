"""Partition folders: Hive-style, and nothing in an input can escape the output folder."""
import datetime as dt

import pytest

from newsbeam.transforms.records import RunContext, error_row
from newsbeam.transforms.write.partition import outlet_slug, partition_of
from tests.support.corpus import article

RUN = RunContext("r1", dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize("name, slug", [
    ("Frankfurter Rundschau", "frankfurter-rundschau"),
    ("spiegel.de", "spiegel.de"),
    ("Süddeutsche Zeitung", "suddeutsche-zeitung"),
    ("../../etc", "etc"),
    ("..", "unknown"),
    (".", "unknown"),
    ("", "unknown"),
    (None, "unknown"),
    ("/", "unknown"),
    ("a/../../b", "a-..-..-b"),
    ("НАТО", "unknown"),
    ("x" * 200, "x" * 64),
])
def test_outlet_slug(name, slug):
    assert outlet_slug(name) == slug


def test_slug_is_always_a_safe_single_path_segment():
    for name in ("../x", "..\\..\\x", "a\x00b", "  ..  ", "C:\\Windows", "~root", "%2e%2e%2f"):
        slug = outlet_slug(name)
        assert slug not in ("", ".", "..") and "/" not in slug and "\\" not in slug and len(slug) <= 64
        assert set(slug) <= set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def test_partition_uses_utc_publication_date_else_ingestion_date():
    published = dt.datetime(2025, 2, 13, 23, 30, tzinfo=dt.timezone.utc)
    assert partition_of("articles", article("t", "https://a.example/", published, "Der Standard"), RUN) == \
        "date=2025-02-13/outlet=der-standard"
    assert partition_of("articles", article("t", "https://a.example/", None, ""), RUN) == \
        "date=2026-01-02/outlet=unknown"
    assert partition_of("errors", error_row("x", "read", "empty", "m"), RUN) == "date=2026-01-02"
