"""What dedup decides on: each item's keys, never its text.

An article's text stays where extraction spilled it (:mod:`newsbeam.transforms.write.spill`);
dedup moves only an ``ItemKey`` per item (ids, hashes, date, outlet, MinHash signature)
through its joins, and its outcome is one ``Decision`` per item: written as an article (with
its story's copies counted) or as a duplicate of the article named in ``duplicate_of``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import NamedTuple, Optional

from newsbeam.transforms.dedup.minhash import THRESHOLD, estimate
from newsbeam.transforms.names import NEAR_DUPLICATE, SAME_CONTENT, SAME_STORY, SAME_URL

_LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def hash64(text: str) -> int:
    """A stable signed 64-bit hash (blake2b), the form keys take in the index and in shuffles."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def item_of(source: str, locator: str) -> int:
    """The item's number: its source and the place in it. The same item read again has it again."""
    return hash64(f"{source}\x1f{locator}")


def url_key(url: Optional[str]) -> Optional[int]:
    return hash64(url) if url else None


def content_key(content_hash: str) -> int:
    return hash64(content_hash)


def id_key(article_id: str) -> int:
    return hash64(article_id)


class ItemKey(NamedTuple):
    """One extracted item as dedup sees it."""
    item: int
    article_id: str
    url: Optional[str]
    content_hash: str
    published_at: Optional[dt.datetime]
    outlet_name: str
    partition: str        # where the item's row goes, below OUTPUT/<table>/
    minhash: bytes

    @classmethod
    def of(cls, article, partition: str) -> "ItemKey":
        """The key of a signed Article whose rows go to ``partition``."""
        return cls(item_of(article.source, article.locator), article.article_id, article.url, article.content_hash,
                   article.published_at, article.outlet_name, partition, article.minhash)


class Decision(NamedTuple):
    """Where one item goes: an article (``duplicate_of`` None) or a duplicate of that article."""
    item: int
    partition: str
    duplicate_of: Optional[str] = None
    reason: Optional[str] = None
    similarity: float = 1.0
    duplicate_count: int = 0          # for an article: copies of its story in this run
    duplicate_outlets: tuple = ()     # their outlets, sorted


class Kept(NamedTuple):
    """What a story's kept article must tell its copies: enough to say how each relates to it."""
    article_id: str
    url_key: Optional[int]
    content_key: int
    minhash: Optional[bytes]

    @classmethod
    def of(cls, key: ItemKey) -> "Kept":
        return cls(key.article_id, url_key(key.url), content_key(key.content_hash), key.minhash)


def keep_order(key: ItemKey) -> tuple:
    """Sort key: the first item in this order is the one a story keeps (the earliest published,
    then the smallest id, then the item number)."""
    published = key.published_at
    return (published is None, published or _LATEST, key.article_id, key.item)


def relation(key: ItemKey, kept: Kept) -> tuple[str, float]:
    """(reason, similarity) of an item to the article its story keeps, from the pair itself: the
    same canonical URL, the same normalized text, a near-duplicate text (estimated shingle Jaccard
    at or above the threshold), or the same story only through other copies."""
    same_content = content_key(key.content_hash) == kept.content_key
    similarity = 1.0 if same_content else (round(estimate(key.minhash, kept.minhash), 4) if kept.minhash else 0.0)
    if key.url and url_key(key.url) == kept.url_key:
        return SAME_URL, similarity
    if same_content:
        return SAME_CONTENT, 1.0
    return (NEAR_DUPLICATE if similarity >= THRESHOLD else SAME_STORY), similarity
