"""Turn a scraper's plain-text dump into a title and the article's body paragraphs.

Dumps carry the outlet's page furniture as lines of their own: consent banners,
ad-blocker and subscription prompts, logos, share buttons, reading time, bare
dates and counters, navigation, teasers for other articles, photo captions and
a repeated title. Each rule below removes one such kind of line and names it, so
a test (or a puzzled analyst) can see why a line went. Rules that look for words
only fire on short lines (``SHORT_LINE`` characters): a body paragraph that
happens to discuss cookies or subscriptions is long and stays.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from typing import Iterable, Optional

SHORT_LINE = 200
TITLE_MAX = 200

_I = re.IGNORECASE

# (category, pattern) pairs for short lines, German, English and French.
_KEYWORD_RULES: tuple[tuple[str, re.Pattern], ...] = tuple(
    (category, re.compile(pattern, _I)) for category, pattern in (
        ("consent", r"\bcookies?\b|nutzererlebnis|\bconsent\b|einwilligung|datenschutzeinstellungen"
                    r"|privacy settings|alle akzeptieren|accept all|tout accepter|nous utilisons des"),
        ("adblock", r"ad-?blocker|werbeblock|werbepartner|werbefrei|\badblock|bloqueur de publicit"),
        ("subscription", r"gratis weiterlesen|jetzt (?:für nur|testen|abonnieren|registrieren)"
                         r"|\d+[,.]\d{2}\s?€|€\s?\d+[,.]\d{2}|unbegrenzter zugang|bereits gekauft"
                         r"|exklusiv-artikel|loggen sich aus|subscribe (?:now|today)|already a subscriber"
                         r"|subscribers only|abonnez-vous|déjà abonné|newsletter (?:abonnieren|bestellen)"
                         r"|sign up for (?:our|the) newsletter|^weitere informationen$"),
        ("logo", r"^logo\b|\bin partnership with\b|^en partenariat avec\b|^präsentiert von\b|^powered by\b"
                 r"|^(?:anzeige|advertisement|werbung|sponsored|publicité)$"),
        ("reading_time", r"^\d+\s*(?:min\.?|minuten?|minutes?)\s*(?:de lecture|lesezeit|lesedauer|read)$"
                         r"|^(?:lesezeit|lesedauer|reading time|temps de lecture)\s*:?\s*\d+"),
        ("navigation", r"^(?:nach oben|zurück|zurück zur startseite|zur startseite|startseite|home|menü|menu"
                       r"|back to top|to top|retour en haut(?: de page)?|haut de page|mehr anzeigen"
                       r"|show more|voir plus|weiter|next|previous|suche|search)$"),
        ("teaser", r"^(?:lesen sie auch|lesen sie mehr|auch interessant|mehr zum thema"
                   r"|das könnte sie auch interessieren|weitere artikel|read more|read also|related"
                   r"|see also|more on this|lire aussi|à lire aussi|voir aussi|sur le même sujet)\b"),
    )
)

_SHARE_WORDS = frozenset(
    "teilen share tweet drucken print e-mail email mail facebook twitter x whatsapp linkedin telegram "
    "pinterest reddit kopieren copy link merken speichern save partager imprimer artikel article "
    "this diesen".split())

_MONTHS = {
    # English, German and French month names and their usual abbreviations.
    **{m: i for i, m in enumerate(
        "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
    "sept": 9, "mär": 3, "mrz": 3, "mai": 5, "okt": 10, "dez": 12,
    **{m: i for i, m in enumerate(
        "januar februar märz april mai juni juli august september oktober november dezember".split(), 1)},
    **{m: i for i, m in enumerate(
        "january february march april may june july august september october november december".split(), 1)},
    **{m: i for i, m in enumerate(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(), 1)},
    "jänner": 1,
}
_MONTH = r"(?P<month>[a-zäéû]{3,9})\.?"
_TIME = r"(?:,?\s*(?:um\s+|at\s+|à\s+)?(?P<hour>\d{1,2})[:.h](?P<minute>\d{2})\s*(?P<ampm>am|pm)?(?:\s*uhr)?)?"
_DATE_LINES: tuple[re.Pattern, ...] = tuple(re.compile(p + r"$", _I) for p in (
    r"(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})(?:[ t](?P<hour>\d{2}):(?P<minute>\d{2})(?::\d{2})?"
    r"(?:z|[+-]\d{2}:?\d{2})?)?(?P<ampm>)",
    r"(?P<day>\d{1,2})\.\s?(?P<mon>\d{1,2})\.\s?(?P<year>\d{4})" + _TIME,
    _MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})" + _TIME,
    r"(?:le\s+)?(?P<day>\d{1,2})(?:\.|er)?\s+" + _MONTH + r"\s+(?P<year>\d{4})" + _TIME,
))
_DATE_PREFIX = re.compile(
    r"^(?:stand|aktualisiert(?: am)?|veröffentlicht(?: am)?|erstellt(?: am)?|published(?: on)?"
    r"|updated(?: on)?|publié le|mis à jour le)\s*:?\s*", _I)
_COUNTER = re.compile(
    r"^\d+(?:\s+(?:kommentare?|comments?|shares?|views?|likes?|aufrufe|commentaires?|partages?))?$", _I)
_DATE_MARKER = re.compile(r"^date\s+(?P<year>\d{4})-(?P<mon>\d{2})(?:-(?P<day>\d{2}))?\b\s*(?P<rest>.*)$", _I)
_CREDIT = re.compile(
    r"(?:\bAP Photo|\bFoto:\s*\S.*|\bBild:\s*\S.*|\bPhoto\s*:\s*\S.*|©\s*\S.*|\bGetty Images|\bimago images)$")
_BULLETS = " •·|–—-*►▶>"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)


@dataclasses.dataclass(frozen=True)
class CleanedText:
    """A cleaned dump: its title (None when the dump has no title line), body
    paragraphs, a publication date found in the page furniture, and what was removed."""
    title: Optional[str]
    paragraphs: tuple[str, ...]
    date_hint: Optional[dt.datetime] = None
    date_hint_kind: Optional[str] = None  # 'marker' (date YYYY-MM[-DD]) or 'dateline'
    removed: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def normalize_line(line: str) -> str:
    """NFC, no invisible characters, single spaces, no surrounding blanks."""
    line = unicodedata.normalize("NFC", line).translate(_INVISIBLE).replace("\u00a0", " ")
    return " ".join(line.split())


def parse_dateline(line: str) -> Optional[dt.datetime]:
    """The UTC datetime a bare date line such as '• Aug 20, 2025, 4:20 PM' names, else None.
    A time without a zone is taken as UTC."""
    core = _DATE_PREFIX.sub("", line.strip(_BULLETS))
    for pattern in _DATE_LINES:
        match = pattern.match(core)
        if not match:
            continue
        parts = match.groupdict()
        month = int(parts["mon"]) if parts.get("mon") else _MONTHS.get((parts.get("month") or "").lower())
        try:
            hour = int(parts.get("hour") or 0)
            if (parts.get("ampm") or "").lower() == "pm" and hour < 12:
                hour += 12
            elif (parts.get("ampm") or "").lower() == "am" and hour == 12:
                hour = 0
            return dt.datetime(int(parts["year"]), month or 0, int(parts["day"]), hour,
                               int(parts.get("minute") or 0), tzinfo=dt.timezone.utc)
        except (TypeError, ValueError):
            return None
    return None


def classify_line(line: str) -> Optional[str]:
    """The kind of page furniture a normalized line is, or None for article text."""
    if not re.search(r"[^\W_]", line):
        return "punctuation"
    if len(line) > SHORT_LINE:
        return None
    if _COUNTER.match(line):
        return "counter"
    if parse_dateline(line) is not None:
        return "date"
    for category, pattern in _KEYWORD_RULES:
        if pattern.search(line):
            return category
    tokens = [t for t in re.split(r"[\s|/·•,]+", line.lower()) if t]
    if tokens and all(t in _SHARE_WORDS for t in tokens):
        return "share"
    if _CREDIT.search(line):
        return "caption"
    if " " not in line and not line.endswith((".", "!", "?")):
        return "label"  # a lone word: section name, kicker or button
    return None


def _is_title_like(line: str) -> bool:
    return len(line) <= TITLE_MAX and not line.endswith((".", ",", ";", ":"))


def _is_heading_like(line: str) -> bool:
    return len(line) <= 150 and " " in line and not line.endswith((".", ",", ";", ":"))


def _shares_a_word(heading: str, paragraph: str) -> bool:
    """Whether a heading's content words (by their first five letters) occur in a paragraph."""
    body = paragraph.lower()
    return any(word.lower()[:5] in body for word in _WORD.findall(heading))


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def clean_lines(lines: Iterable[str], title: Optional[str] = None) -> CleanedText:
    """Remove page furniture from lines of text whose title is known (or None).

    The conservative half of :func:`clean_dump`, also used on text that an
    extractor produced: it drops furniture and repeats of the title but never
    guesses at teasers.
    """
    kept, removed = [], []
    date_hint = None
    for line in (normalize_line(raw) for raw in lines):
        if not line:
            continue
        category = classify_line(line)
        if category is None and title and _same(line, title):
            category = "repeated_title"
        if category == "date" and date_hint is None:
            date_hint = parse_dateline(line)
        if category:
            removed.append((category, line))
            continue
        kept.append(line)
    return CleanedText(title, tuple(kept), date_hint, "dateline" if date_hint else None, tuple(removed))


def tidy_extracted(text: str, title: Optional[str] = None) -> str:
    """Text that an HTML extractor already freed of boilerplate: spacing normalized, blank
    lines and repeats of the title dropped, nothing else. The furniture rules of
    :func:`clean_lines` are for dumps; on trafilatura's output they cost real body
    lines (short headings, link lists), measured in ``bench/extraction_quality.py``."""
    lines = (normalize_line(raw) for raw in text.splitlines())
    return "\n".join(line for line in lines if line and not (title and _same(line, title)))


def _drop_bare_captions(removed: list, kept: list[str]) -> list[str]:
    """Drop a caption's bare copy: a line that recurs, photo credit added, as a removed caption."""
    credited = {line for category, line in removed if category == "caption"}
    out = []
    for line in kept:
        if any(c.startswith(line) and _CREDIT.search(c[len(line):].strip() or "x") for c in credited):
            removed.append(("caption", line))
            continue
        out.append(line)
    return out


def clean_dump(text: str, title: Optional[str] = None) -> CleanedText:
    """Clean a whole plain-text dump.

    Without a known ``title``, the first real line is the title when it looks
    like one (short, no closing full stop); a dump that opens with a paragraph
    has no title and keeps that paragraph as text. A leading ``date YYYY-MM[-DD]``
    marker is taken as a date hint and dropped; a heading whose words do not
    recur in the paragraph after it is a teaser for another article.
    """
    lines = text.splitlines()
    marker = None
    for i, raw in enumerate(lines):
        line = normalize_line(raw)
        if not line:
            continue
        match = _DATE_MARKER.match(line)
        if match:
            marker = dt.datetime(int(match["year"]), int(match["mon"]), int(match["day"] or 1),
                                 tzinfo=dt.timezone.utc)
            lines[i] = match["rest"]
        break

    base = clean_lines(lines, title)
    kept, removed = list(base.paragraphs), list(base.removed)
    kept = _drop_bare_captions(removed, kept)
    if title is None and kept and _is_title_like(kept[0]):
        title = kept.pop(0)
        repeats = [line for line in kept if _same(line, title)]
        removed.extend(("repeated_title", line) for line in repeats)
        kept = [line for line in kept if not _same(line, title)]

    body = []
    for i, line in enumerate(kept):
        following = kept[i + 1] if i + 1 < len(kept) else None
        if following is not None and _is_heading_like(line) and not _shares_a_word(line, following):
            removed.append(("teaser", line))
            continue
        body.append(line)

    if marker is not None:
        hint, kind = marker, "marker"
    else:
        hint, kind = base.date_hint, base.date_hint_kind
    return CleanedText(title, tuple(body), hint, kind, tuple(removed))
