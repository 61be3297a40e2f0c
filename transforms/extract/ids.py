"""Stable identities: canonical URLs, content hashes and article ids.

Everything here is a pure function of its input (sha256, never Python's
salted ``hash()``), so the same article gets the same id on every runner,
worker count and input order, and in every later run.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, not a page.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "ocid", "cmpid", "wt_mc", "wt.mc_id",
    "ref_src", "ref_url", "at_medium", "at_campaign", "xtor", "ns_mchannel", "ns_campaign",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def canonical_url(url: Optional[str]) -> Optional[str]:
    """The URL with scheme and host lowercased, default port, fragment and tracking
    parameters removed and the remaining query sorted; None if it is not http(s)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("http", "https") or not host:
        return None
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    )
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def url_domain(url: Optional[str]) -> Optional[str]:
    """The host of a URL without a leading ``www.``, for naming an outlet."""
    canonical = canonical_url(url)
    if not canonical:
        return None
    host = urlsplit(canonical).hostname or ""
    return host[4:] if host.startswith("www.") else host


def normalize_for_hash(text: str) -> str:
    """Text reduced to what makes two copies "the same content": case, accents'
    composition, punctuation and spacing do not count."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize_for_hash(text).encode("utf-8")).hexdigest()


def article_id(canonical: Optional[str], text_hash: str) -> str:
    """32 hex characters: from the canonical URL when there is one, else from the content."""
    key = f"url:{canonical}" if canonical else f"content:{text_hash}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
