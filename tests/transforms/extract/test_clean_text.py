"""Plain-text dumps: title, every body paragraph, none of the page furniture."""
import datetime as dt
import re

import pytest

from tests.conftest import SEEDS, requires_seeds
from newsbeam.transforms.extract.clean_text import classify_line, clean_dump, parse_dateline


def test_german_dump_keeps_paragraphs_and_drops_furniture():
    dump = "\n".join([
        "Um Ihnen ein besseres Nutzererlebnis zu bieten, verwenden wir Cookies.",
        "Klicken Sie auf den Button Ihres Ad-Blockers und deaktivieren Sie die Werbeblockierung",
        "Jetzt für nur 0,99€ im ersten Monat testen",
        "Politik",
        "Nato-Staaten beraten über Hilfe für die Ukraine",
        "4 Min. Lesezeit",
        "",
        "Die Verteidigungsminister der Nato-Staaten haben in Brüssel über weitere Hilfe beraten.",
        "Teilen | Drucken | E-Mail",
        "Lesen Sie auch: Was die Bundeswehr plant",
        "Die Ukraine bat um zusätzliche Luftverteidigung für den Winter.",
        "nach oben",
    ])
    cleaned = clean_dump(dump)
    assert cleaned.title == "Nato-Staaten beraten über Hilfe für die Ukraine"
    assert cleaned.paragraphs == (
        "Die Verteidigungsminister der Nato-Staaten haben in Brüssel über weitere Hilfe beraten.",
        "Die Ukraine bat um zusätzliche Luftverteidigung für den Winter.",
    )
    assert {category for category, _ in cleaned.removed} == {
        "consent", "adblock", "subscription", "label", "reading_time", "share", "teaser", "navigation"}


def test_english_and_french_furniture():
    english = "We use cookies. Accept all cookies\nAdvertisement\nTitle of the story here\n5 min read\nShare\n" \
              "Body paragraph one about the summit.\nRead more: another story\nBody paragraph two.\nBack to top"
    cleaned = clean_dump(english)
    assert cleaned.title == "Title of the story here"
    assert cleaned.paragraphs == ("Body paragraph one about the summit.", "Body paragraph two.")
    french = "Nous utilisons des cookies. Tout accepter\nL'OTAN et l'Ukraine\n3 min de lecture\nPartager\n" \
             "Premier paragraphe de l'article.\nLire aussi : autre chose\nDeuxième paragraphe.\nRetour en haut"
    cleaned = clean_dump(french)
    assert cleaned.title == "L'OTAN et l'Ukraine"
    assert cleaned.paragraphs == ("Premier paragraphe de l'article.", "Deuxième paragraphe.")


def test_date_marker_is_a_hint_not_text_and_its_line_keeps_the_rest():
    cleaned = clean_dump(" date 2025-02 „Tolle Gespräche“, schrieb Trump am Donnerstag auf seiner Plattform.\n"
                         "Zweiter Absatz des Artikels.")
    assert cleaned.date_hint == dt.datetime(2025, 2, 1, tzinfo=dt.timezone.utc)
    assert cleaned.date_hint_kind == "marker"
    assert cleaned.title is None  # the dump opens with a paragraph, which stays text
    assert cleaned.paragraphs[0].startswith("„Tolle Gespräche“")
    assert not any("date 2025" in p for p in cleaned.paragraphs)


def test_repeated_title_and_captions_with_credit_are_removed():
    dump = "\n".join([
        "Ein Titel über die NATO",
        "Nachrichten",
        "Ein Titel über die NATO",
        "Erster Absatz über die NATO und ihre Mitglieder.",
        "Ein Treffen im Weißen Haus, 18. August 2025",
        "Ein Treffen im Weißen Haus, 18. August 2025 AP Photo",
        "Zweiter Absatz über die NATO.",
    ])
    cleaned = clean_dump(dump)
    assert cleaned.title == "Ein Titel über die NATO"
    assert cleaned.paragraphs == ("Erster Absatz über die NATO und ihre Mitglieder.", "Zweiter Absatz über die NATO.")


def test_subheadings_stay_teasers_for_other_articles_go():
    dump = "\n".join([
        "Titel des Artikels",
        "Hegseth lehnt Beitritt ab",
        "Verteidigungsminister Hegseth sagte in Brüssel, ein Beitritt sei unrealistisch.",
        "Donald Trumps Kabinett: Liste voller Überraschungen",
        "Erst Anfang Februar hatte die Regierung in Kiew erneut Sicherheitsgarantien gefordert.",
    ])
    cleaned = clean_dump(dump)
    assert "Hegseth lehnt Beitritt ab" in cleaned.paragraphs
    assert "Donald Trumps Kabinett: Liste voller Überraschungen" not in cleaned.paragraphs


def test_long_paragraph_about_cookies_is_not_furniture():
    paragraph = ("Die Datenschutzbehörde prüft, ob Verlage Cookies ohne Einwilligung setzen; " * 4).strip()
    assert classify_line(paragraph) is None


@pytest.mark.parametrize("line, expected", [
    ("• Aug 20, 2025, 4:20 PM", dt.datetime(2025, 8, 20, 16, 20, tzinfo=dt.timezone.utc)),
    ("24.06.2025, 07:30 Uhr", dt.datetime(2025, 6, 24, 7, 30, tzinfo=dt.timezone.utc)),
    ("13. Februar 2025", dt.datetime(2025, 2, 13, tzinfo=dt.timezone.utc)),
    ("le 3 mars 2025", dt.datetime(2025, 3, 3, tzinfo=dt.timezone.utc)),
    ("Stand: 2025-02-13 10:15", dt.datetime(2025, 2, 13, 10, 15, tzinfo=dt.timezone.utc)),
    ("Die NATO tagt am 13. Februar 2025 in Brüssel.", None),
])
def test_datelines(line, expected):
    assert parse_dateline(line) == expected


# What each seed must keep (a body paragraph, by its opening) and must lose (furniture).
SEED_EXPECTATIONS = {
    "000": ("Trump schliesst NATO-Beitritt der Ukraine aus", 23,
            ["Im Gegensatz zu Trumps Optimismus", "Kritik von Starmer"], []),
    "001": ("Trump-Administration hält Nato-Mitgliedschaft der Ukraine für unrealistisch", 13,
            ["Brüssel – Eine Nato-Mitgliedschaft", "Noch im vergangenen Jahr hatte die Nato"],
            ["Cookies", "Ad-Blocker", "0,99€", "Liste voller skandalöser"]),
    "002": ("Trump: USA wird keine Truppen in die Ukraine entsenden - Ukraine müsse NATO-Hoffnung begraben", 16,
            ["US-Präsident Donald Trump hat die Entsendung", "Als Teil eines möglichen Abkommens"],
            ["Logo", "partnership", "min de lecture", "AP Photo", "Aug 20, 2025", "multilaterales Treffen"]),
    "003": ("NATO-Generalsekretär bestätigt den anhaltenden Kurs der Ukraine auf Beitritt zur Nordatlantischen "
            "Allianz", 3, ["NATO-Generalsekretär Mark Rutte erklärte", "Ruttes Appell an Trump"],
            ["nach oben", "Nachrichten", "Beitritt zur Nordatlantischen Allianz"]),
    "004": (None, 32, ["„Tolle Gespräche mit Russland", "(Mit Material der Nachrichtenagenturen)",
                       "Unser Standpunkt bleibt unverändert"], ["date 2025-02"]),
}


@requires_seeds
@pytest.mark.parametrize("prefix", sorted(SEED_EXPECTATIONS))
def test_seed_dumps(prefix):
    title, paragraphs, kept, dropped = SEED_EXPECTATIONS[prefix]
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    cleaned = clean_dump(path.read_text(encoding="utf-8"))
    assert cleaned.title == title
    assert len(cleaned.paragraphs) == paragraphs
    for opening in kept:
        assert any(p.startswith(opening) for p in cleaned.paragraphs), opening
    for furniture in dropped:
        assert furniture not in cleaned.text + "\n", furniture
    assert not any(" " not in p for p in cleaned.paragraphs), "a lone-word label survived"
    # Every kept paragraph is a line of the dump, word for word (the date marker aside).
    raw = re.sub(r"^\s*date \d{4}-\d{2}\s*", "", path.read_text(encoding="utf-8"))
    raw_lines = {" ".join(line.split()) for line in raw.splitlines()}
    assert set(cleaned.paragraphs) <= raw_lines
