"""Packaged configuration: the documented default config and the tagging lexicon."""
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"
DEFAULT_LEXICON = CONFIG_DIR / "lexicon.yaml"
