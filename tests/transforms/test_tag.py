"""Mention counting: every NATO and Ukraine mention, never a piece of another word."""
import pytest
import yaml

from configs import DEFAULT_LEXICON
from transforms.lexicon import LexiconError, load_lexicon, validate_lexicon
from transforms.tag import Tagger


@pytest.fixture(scope="module")
def tagger():
    return Tagger(load_lexicon(str(DEFAULT_LEXICON)))


@pytest.mark.parametrize("text, nato, ukraine", [
    ("NATO-Beitritt der Ukraine", 1, 1),
    ("Nato-Staaten und NATO-Mitgliedschaft", 2, 0),
    ("Wunsch nach einem NATO- und EU-Beitritt", 1, 0),
    ("Natostaaten, Natogipfel", 2, 0),
    ("Beitritt zur Nordatlantischen Allianz", 1, 0),
    ("the North Atlantic Treaty Organization and NATO's allies", 2, 0),
    ("l'OTAN soutient l'Ukraine", 1, 1),
    ("#NATO #Ukraine", 1, 1),
    ("Ukraine-Krieg, Ukrainekrieg, Ukraine-Kontaktgruppe", 0, 3),
    ("ukrainische Soldaten, ukrainischen Gebiet, Ukrainer, Ukrainerinnen", 0, 4),
    ("Ukrainian forces and Ukrainians", 0, 2),
    ("le gouvernement ukrainien", 0, 1),
    ("UKRAINE", 0, 1),
    # traps: NATO inside other words, and ordinary lower-case words
    ("Senator Donato und Renato im Senatorenhaus", 0, 0),
    ("nato a Roma", 0, 0),
    ("Ukulele", 0, 0),
])
def test_counts(tagger, text, nato, ukraine):
    assert tagger.count(text) == {"nato": nato, "ukraine": ukraine}


def test_tags_cover_title_and_body(tagger):
    counts, tags = tagger.tag("Die NATO tagt", "Die Ukraine ist Thema.")
    assert counts == {"nato": 1, "ukraine": 1} and tags == ["nato", "ukraine"]
    assert tagger.tag(None, "Nichts davon.") == ({"nato": 0, "ukraine": 0}, [])


@pytest.mark.parametrize("lexicon, message", [
    ({"entities": {"nato": {"aliases": ["NATO"]}}}, "ukraine"),
    ({"entities": {"nato": {"aliases": ["NATO("]}, "ukraine": {"aliases": ["Ukraine"]}}},
     "entity 'nato', alias 1: bad regular expression"),
    ({"entities": {"nato": {"aliases": []}, "ukraine": {"aliases": ["Ukraine"]}}}, "non-empty list"),
    ({"entities": {"nato": {"aliases": ["NATO"], "colour": "blue"}, "ukraine": {"aliases": ["U"]}}},
     "unknown key(s) ['colour']"),
    ([], "expected a mapping"),
])
def test_bad_lexicon_is_refused_with_a_clear_message(lexicon, message):
    with pytest.raises(LexiconError, match=None) as excinfo:
        validate_lexicon(lexicon, where="lex.yaml")
    assert message in str(excinfo.value)


def test_user_lexicon_file_extends_entities(tmp_path, tagger):
    data = yaml.safe_load(DEFAULT_LEXICON.read_text())
    data["entities"]["kyiv"] = {"tag": "kyiv", "aliases": [{"pattern": "Kyiv|Kiew|Kyjiw"}]}
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    counts, tags = Tagger(load_lexicon(str(path))).tag(None, "In Kiew und Kyiv sprach die NATO.")
    assert counts["kyiv"] == 2 and tags == ["kyiv", "nato"]
