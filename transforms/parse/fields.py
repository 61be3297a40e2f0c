"""Input fields as newsbeam keeps them, whichever source they come from (JSONL, feeds, sidecars)."""
from __future__ import annotations

from typing import Optional


def text_or_none(value: object) -> Optional[str]:
    """A string field stripped, or None when it is empty or not a string."""
    return value.strip() or None if isinstance(value, str) else None


def language_code(value: object) -> Optional[str]:
    """'de-DE', 'de_CH', 'DE' -> 'de'; None when it is not a language tag."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None
