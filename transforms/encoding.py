"""Bytes to text without assuming UTF-8.

Order of evidence: a byte-order mark, then strict UTF-8 (which almost never
decodes legacy text by accident), then a charset the document declares, then
charset-normalizer's guess, and finally Windows-1252, the usual encoding of
Western European text that claims to be Latin-1.
"""
from __future__ import annotations

import codecs
import re

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(
    rb"""(?:<meta[^>]+charset\s*=\s*["']?|<\?xml[^>]+encoding\s*=\s*["'])([A-Za-z0-9._:-]{2,40})""",
    re.IGNORECASE)
# Control characters that do not occur in text (tab, newline, CR and form feed do).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_surrogate(match: re.Match) -> str:
    code = ord(match.group())
    # U+DC80..U+DCFF stand for the raw bytes of a file name that is not UTF-8 (surrogateescape)
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def scrub_surrogates(text: str) -> str:
    """``text`` made encodable as UTF-8, which Parquet, hashing and language detection
    need: a lone surrogate from a JSON escape or a numeric character reference
    becomes U+FFFD, a byte of a non-UTF-8 file name is shown as ``\\xNN``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(_replace_surrogate, text)
    return text


class DecodeError(ValueError):
    """The bytes are not text in any encoding we can tell."""


def looks_binary(data: bytes) -> bool:
    """True for content that is clearly not text: NUL bytes or many control characters."""
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(sample.count(bytes([c])) for c in _CONTROL)
    return controls / len(sample) > 0.05


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML meta tag or XML declaration names, if Python knows it."""
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data``; returns (text, encoding name). Raises DecodeError for binary junk."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    if looks_binary(data):
        raise DecodeError("binary content (NUL or control bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared and declared not in ("utf-8", "utf_8"):
        try:
            return data.decode(declared), declared
        except (UnicodeDecodeError, LookupError):
            pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding:
        text = str(best)
        # charset-normalizer often names cp1250 for German text that is really
        # cp1252/Latin-1; where both readings agree nothing is lost, and where they
        # differ the Western reading is the right default for the outlets we serve.
        try:
            western = data.decode("cp1252")
        except UnicodeDecodeError:
            western = None
        if best.encoding in ("cp1250", "iso8859_2", "mac_latin2", "mac_roman", "cp850") and western:
            return western, "cp1252"
        return text, best.encoding
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
