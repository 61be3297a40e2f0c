"""Input fields as newsbeam keeps them, whichever source they come from (JSONL, feeds, sidecars)."""
from __future__ import annotations

import re
from typing import Optional

# C0 and C1 control characters but tab, line feed and carriage return: never meant as text
# (a backspace pasted into a CMS title, a form feed from a PDF export), invisible to a reader
# and different bytes for the content hash.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_or_none(value: object) -> Optional[str]:
    """A string field stripped, or None when it is empty or not a string."""
    return value.strip() or None if isinstance(value, str) else None


def without_controls(text: str) -> str:
    """``text`` without control characters (tab and line breaks are kept)."""
    return _CONTROLS.sub("", text)


def line_or_none(value: object) -> Optional[str]:
    """A one-line field (a title, an author) as a reader sees it: control characters removed,
    runs of whitespace and line breaks as one space; None when that leaves nothing."""
    if not isinstance(value, str):
        return None
    return " ".join(without_controls(value).split()) or None


def language_code(value: object) -> Optional[str]:
    """'de-DE', 'de_CH', 'DE' -> 'de'; None when it is not a language tag."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None
