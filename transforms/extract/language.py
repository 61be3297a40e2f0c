"""Offline language identification (py3langid's bundled model)."""
from __future__ import annotations

from typing import Optional

MIN_CHARS = 20


class LanguageDetector:
    """Loads the model once; build it in a DoFn's ``setup()``."""

    def __init__(self):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE)

    def detect(self, text: str) -> Optional[str]:
        """ISO 639-1 code of ``text`` (its first 2,000 characters), or None for too little text."""
        sample = text[:2000]
        if len(sample.strip()) < MIN_CHARS:
            return None
        code, _ = self._identifier.classify(sample)
        return code
