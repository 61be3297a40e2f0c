"""Tagging: every mention in nine languages with exact offsets, never a piece of another word."""
import pytest
import yaml

from newsbeam.configs import DEFAULT_LEXICON
from tests.transforms.tag.gold import examples, score
from newsbeam.transforms.tag.lexicon import LexiconError, load_lexicon, validate_lexicon
from newsbeam.transforms.tag.prefixes import literal_prefixes
from newsbeam.transforms.tag.mentions import Tagger, tagged_string


@pytest.fixture(scope="module")
def tagger():
    return Tagger(load_lexicon(str(DEFAULT_LEXICON)))


def test_gold_set_has_enough_texts_in_every_language():
    languages = [language for language, *_ in examples()]
    assert len(languages) >= 60
    assert {lang: languages.count(lang) >= 7 for lang in set(languages)} == dict.fromkeys(
        ["de", "en", "fr", "es", "it", "pl", "nl", "uk", "ru"], True)


def test_precision_and_recall_per_language_on_the_gold_set(tagger):
    for language, tally in score(tagger).items():
        assert tally["precision"] >= 0.98 and tally["recall"] >= 0.98, (language, tally)
        assert tally["topic_errors"] == 0, (language, tally)


@pytest.mark.parametrize("text, nato, ukraine", [
    ("NATO-Beitritt der Ukraine", 1, 1),
    ("Wunsch nach einem NATO- und EU-Beitritt", 1, 0),
    ("Natostaaten, Natogipfel", 2, 0),
    ("l'OTAN soutient l'Ukraine", 1, 1),
    ("dell’Ucraina e della NATO", 1, 1),
    ("#nato #ukraine", 1, 1),
    ("Senator Donato und Renato im Senatorenhaus", 0, 0),
    ("nato a Roma", 0, 0),
    ("Ukulele, Natur, natif, натура", 0, 0),
    # the variants and traps real outlets write
    ("l'OTAN et l'Otan soutiennent l'Ukraine", 2, 1),
    ("la OTAN y la Otan apoyan a Ucrania", 2, 1),
    ("NAVO, Navo-landen en de Navo-top steunen Oekraïne", 3, 1),
    ("Nato a Leopoli nel 1975, vive a Kiev.", 0, 0),
    ("Il vertice della Nato a Vilnius.", 1, 0),
    ("Es un negociador nato.", 0, 0),
    ("Natomiast Polska i Natuurlijk; натомість", 0, 0),
    ("натовські генерали, всеукраїнський форум, українську мову", 1, 2),
])
def test_counts(tagger, text, nato, ukraine):
    counts = tagger.count(tagger.mentions(text))
    assert (counts["nato"], counts["ukraine"]) == (nato, ukraine)


def test_related_entities_are_counted_apart(tagger):
    columns = tagger.tag(None, "Selenskyj sprach in Kiew. Зеленський у Києві.")
    assert (columns["nato_mentions"], columns["ukraine_mentions"]) == (0, 0)
    assert columns["tags"] == ["kyiv", "zelensky"]
    assert [m["entity"] for m in columns["mentions"]] == ["zelensky", "kyiv", "zelensky", "kyiv"]


def test_offsets_comentions_and_topic(tagger):
    title, text = "Die NATO und Kiew", "Die Ukraine will in die NATO. Das Wetter ist gut.\nDer Beitritt ist fern."
    columns = tagger.tag(title, text)
    string = tagged_string(title, text)
    assert all(string[m["start"]:m["end"]] == m["surface"] for m in columns["mentions"])
    assert [m["surface"] for m in columns["mentions"]] == ["NATO", "Kiew", "Ukraine", "NATO"]
    assert columns["comention_sentences"] == ["Die Ukraine will in die NATO."]
    assert [string[s["start"]:s["end"]] for s in columns["comention_spans"]] == columns["comention_sentences"]
    # "Beitritt" stands in another sentence than NATO and Ukraine: no membership topic, no evidence
    assert "nato_ukraine_membership" not in columns["tags"] and columns["topic_evidence"] == []
    assert "nato_ukraine_membership" in tagger.tag(None, "Die NATO lehnt einen Beitritt der Ukraine ab.")["tags"]


def test_comention_spans_point_at_the_sentences_in_title_and_body(tagger):
    title = "  NATO und Ukraine: was nun?"
    text = "Erster Satz ohne Bezug.  \n  Kiew hofft; die NATO zögert, die Ukraine wartet!  Danach: Ruhe."
    columns = tagger.tag(title, text)
    string = tagged_string(title, text)
    assert columns["comention_sentences"] == ["NATO und Ukraine: was nun?",
                                              "Kiew hofft; die NATO zögert, die Ukraine wartet!"]
    assert [string[s["start"]:s["end"]] for s in columns["comention_spans"]] == columns["comention_sentences"]


def test_topic_evidence_names_the_sentence_and_the_accession_word(tagger):
    title = "Gipfel in Vilnius"
    text = ("Die NATO tagt. Die Ukraine wartet. "
            "Die NATO-Staaten streiten über den Beitritt der Ukraine. "
            "Kiew nennt die NATO-Mitgliedschaft der Ukraine ein Ziel.")
    columns = tagger.tag(title, text)
    string = tagged_string(title, text)
    assert "nato_ukraine_membership" in columns["tags"]
    found = [(e["topic"], string[e["sentence_start"]:e["sentence_end"]], e["word"],
              string[e["word_start"]:e["word_end"]]) for e in columns["topic_evidence"]]
    assert found == [
        ("nato_ukraine_membership", "Die NATO-Staaten streiten über den Beitritt der Ukraine.", "Beitritt", "Beitritt"),
        ("nato_ukraine_membership", "Kiew nennt die NATO-Mitgliedschaft der Ukraine ein Ziel.", "Mitgliedschaft",
         "Mitgliedschaft")]
    # "Die NATO tagt." and "Die Ukraine wartet." each name one entity only: no evidence from them
    assert all(e["sentence_start"] > string.index("wartet.") for e in columns["topic_evidence"])


@pytest.mark.parametrize("lang, text, word", [
    ("en", "NATO leaders discussed Ukraine's membership bid.", "membership"),
    ("fr", "L'adhésion de l'Ukraine à l'Otan reste lointaine.", "adhésion"),
    ("pl", "Polska popiera członkostwo Ukrainy w NATO.", "członkostwo"),
    ("uk", "Україна прагне вступити до НАТО.", "вступити"),
])
def test_topic_evidence_in_other_languages(tagger, lang, text, word):
    evidence = tagger.tag(None, text)["topic_evidence"]
    assert [(e["word"], text[e["word_start"]:e["word_end"]], e["sentence_start"], e["sentence_end"])
            for e in evidence] == [(word, word, 0, len(text))], lang


def test_every_alias_has_literal_prefixes_for_the_fast_scan():
    lexicon = load_lexicon(str(DEFAULT_LEXICON))
    from newsbeam.transforms.tag.lexicon import alias_regex
    for name, spec in lexicon["entities"].items():
        for alias in spec["aliases"]:
            assert literal_prefixes(alias_regex(alias)), (name, alias["pattern"])


def test_an_alias_without_literal_prefix_still_works():
    lexicon = {"entities": {"nato": {"tag": "nato", "aliases": [{"pattern": r"\w*NATO"}]},
                            "ukraine": {"tag": "ukraine", "aliases": [{"pattern": "Ukraine"}]}}}
    assert literal_prefixes(r"\w*NATO") is None
    tagger = Tagger(validate_lexicon(lexicon))
    assert tagger.count(tagger.mentions("xNATO und Ukraine")) == {"nato": 1, "ukraine": 1}


@pytest.mark.parametrize("lexicon, message", [
    ({"entities": {"nato": {"aliases": ["NATO"]}}}, "ukraine"),
    ({"entities": {"nato": {"aliases": ["NATO("]}, "ukraine": {"aliases": ["Ukraine"]}}},
     "entity 'nato', alias 1: bad regular expression"),
    ({"entities": {"nato": {"aliases": []}, "ukraine": {"aliases": ["Ukraine"]}}}, "non-empty list"),
    ({"entities": {"nato": {"aliases": ["NATO"], "colour": "blue"}, "ukraine": {"aliases": ["U"]}}},
     "unknown key(s) ['colour']"),
    ({"entities": {"nato": {"aliases": ["NATO"]}, "ukraine": {"aliases": ["U"]}},
      "topics": {"t": {"all_of": ["nato", "kyiv"], "words": ["x"]}}}, "'all_of' must list entities"),
    ([], "expected a mapping"),
])
def test_bad_lexicon_is_refused_with_a_clear_message(lexicon, message):
    with pytest.raises(LexiconError) as excinfo:
        validate_lexicon(lexicon, where="lex.yaml")
    assert message in str(excinfo.value)


def test_user_lexicon_file_adds_an_entity(tmp_path):
    data = yaml.safe_load(DEFAULT_LEXICON.read_text())
    data["entities"]["eu"] = {"tag": "eu", "aliases": [{"pattern": "EU|Europäische Union"}]}
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    columns = Tagger(load_lexicon(str(path))).tag(None, "Die EU und die NATO.")
    assert columns["tags"] == ["eu", "nato"]
