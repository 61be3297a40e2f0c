"""Bytes to text without assuming UTF-8.

Order of evidence: a byte-order mark, then strict UTF-8 (which almost never
decodes legacy text by accident), then UTF-8 with a few stray Windows-1252
bytes (text pasted together from two sources), then a charset the document
declares, then charset-normalizer's guess, and finally Windows-1252, the usual
encoding of Western European text that claims to be Latin-1.
"""
from __future__ import annotations

import codecs
import re

import charset_normalizer

# Byte-order marks and the codec each one settles; UTF-32 before UTF-16 (UTF-32LE's begins with UTF-16LE's).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(
    rb"""(?:<meta[^>]+charset\s*=\s*["']?|<\?xml[^>]+encoding\s*=\s*["'])([A-Za-z0-9._:-]{2,40})""",
    re.IGNORECASE)
# Control characters that do not occur in text (tab, newline, CR and form feed do).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")
# One or more well-formed UTF-8 multibyte sequences (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
_UTF8_SEQUENCES = re.compile(
    rb"(?:[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2})+")
# The bytes that ``surrogateescape`` could not decode as UTF-8 (U+DC80..U+DCFF stand for 0x80..0xFF).
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")
# Windows-1252 for 0x80..0xFF; its five unassigned bytes become U+FFFD.
_CP1252_HIGH = "".join(bytes([b]).decode("cp1252", errors="replace") for b in range(0x80, 0x100))


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


def mostly_utf8(data: bytes) -> bool:
    """True when most runs of non-ASCII bytes in ``data`` are well-formed UTF-8.

    Text that is UTF-8 with a few stray legacy bytes has nearly all its runs
    well-formed (0.96-1.0 in the four such pages of the benchmark corpora), while
    legacy text forms UTF-8 only by accident: 0.00-0.05 in the corpora's 23
    Latin-1, cp1252, cp1250, ISO-8859-2 and GB2312 pages, and at most 0.16 when
    the corpora's UTF-8 pages are re-encoded as cp1250, cp1251, cp1252, cp1257,
    KOI8-R, ISO-8859-2, Shift-JIS, EUC-JP, EUC-KR, GBK or Big5 (0.62 for one page
    that already held mojibake, whose cp1252 form is UTF-8 again).
    """
    runs = clean = 0
    for run in _NON_ASCII_RUN.finditer(data):
        runs += 1
        clean += _UTF8_SEQUENCES.fullmatch(run.group()) is not None
    return clean * 2 > runs


def decode_utf8_with_cp1252(data: bytes) -> str:
    """UTF-8 where it is well-formed, and each byte that is not read as Windows-1252."""
    text = data.decode("utf-8", errors="surrogateescape")
    return _ESCAPED_BYTES.sub(lambda m: "".join(_CP1252_HIGH[ord(c) - 0xDC80] for c in m.group()), text)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data``; returns (text, encoding name). Raises DecodeError for binary junk.

    The name is a Python codec's, or ``utf-8+cp1252`` for UTF-8 with stray Windows-1252 bytes.
    """
    for bom, name in BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    if looks_binary(data):
        raise DecodeError("binary content (NUL or control bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if mostly_utf8(data):
        return decode_utf8_with_cp1252(data), "utf-8+cp1252"
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
